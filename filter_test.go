package tempest

import (
	"context"
	"encoding/binary"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tempestdb/tempest/vfs"
)

// fakeClock is a Clock the test moves by hand.
type fakeClock struct{ ns atomic.Int64 }

func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) advance(d time.Duration) { c.ns.Add(int64(d)) }

func stamped(t time.Time, v string) []byte {
	return append(binary.BigEndian.AppendUint64(nil, uint64(t.UnixNano())), v...)
}

// TestTTLFilter: expired values vanish from Get and scans at once, and
// compaction drops them from disk.
func TestTTLFilter(t *testing.T) {
	clock := &fakeClock{}
	clock.ns.Store(int64(time.Hour))
	o := smallOptions(vfs.NewMem())
	o.Clock = clock
	o.VisibilityFilter = &TTLFilter{TTL: time.Minute, Clock: clock}
	d := mustOpen(t, "/db", o)
	defer d.Close()
	for i := range 300 {
		k := []byte{'k', byte(i / 100), byte(i % 100)}
		if err := d.Set(k, stamped(clock.Now(), "old"), NoSync); err != nil {
			t.Fatal(err)
		}
	}
	clock.advance(30 * time.Second)
	if err := d.Set([]byte("fresh"), stamped(clock.Now(), "new"), nil); err != nil {
		t.Fatal(err)
	}
	if got := len(dump(t, d)); got != 301 {
		t.Fatalf("before expiry: %d keys", got)
	}
	clock.advance(45 * time.Second) // the 300 are 75s old, "fresh" 45s
	if got := dump(t, d); len(got) != 1 || got["fresh"] == "" {
		t.Fatalf("after expiry: %d keys", len(got))
	}
	if _, err := d.Get([]byte{'k', 0, 1}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("expired get: %v", err)
	}
	if err := d.Compact(context.Background(), nil, nil); err != nil {
		t.Fatal(err)
	}
	m := d.Metrics()
	var files int
	for _, l := range m.Levels {
		files += l.Files
	}
	if files != 1 || d.counters.compactionDropped.Load() < 300 {
		t.Fatalf("compaction kept %d files, dropped %d entries", files, d.counters.compactionDropped.Load())
	}
	if v, err := d.Get([]byte("fresh")); err != nil || string(v[8:]) != "new" {
		t.Fatalf("fresh: %q %v", v, err)
	}
}

// TestKeepVersionsFilter keeps the 2 newest versions of each row under a
// version-suffix comparer: older versions vanish from reads at once, and
// from disk once compaction runs with no snapshot that could see them.
func TestKeepVersionsFilter(t *testing.T) {
	o := smallOptions(vfs.NewMem())
	o.Comparer = FixedSuffixComparer(8)
	o.VisibilityFilter = &KeepVersionsFilter{N: 2}
	d := mustOpen(t, "/db", o)
	defer d.Close()
	for ts := uint64(1); ts <= 5; ts++ {
		if err := d.Set(versioned("row", ts), []byte{byte('0' + ts)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	get := func(ts uint64) string {
		v, err := d.Get(versioned("row", ts))
		if errors.Is(err, ErrNotFound) {
			return "-"
		}
		if err != nil {
			t.Fatal(err)
		}
		return string(v)
	}
	// Versions 5 and 4 are kept; a read at ts 3 finds no kept version.
	if got := get(9) + get(5) + get(4) + get(3) + get(1); got != "554--" {
		t.Fatalf("reads = %q, want 554--", got)
	}
	if err := d.Compact(context.Background(), nil, nil); err != nil {
		t.Fatal(err)
	}
	if got := get(9) + get(4) + get(3); got != "54-" {
		t.Fatalf("after compaction: %q", got)
	}
	if n := d.counters.compactionDropped.Load(); n < 3 {
		t.Fatalf("compaction dropped %d entries, want the 3 old versions", n)
	}
	if err := d.Set(versioned("row", 6), []byte("6"), nil); err != nil {
		t.Fatal(err)
	}
	if got := get(9) + get(5) + get(4); got != "65-" {
		t.Fatalf("after a newer version: %q, want 65-", got)
	}
}
