package tempest

import (
	"reflect"
	"testing"
	"time"

	"github.com/tempestdb/tempest/internal/manifest"
	"github.com/tempestdb/tempest/vfs"
)

// TestFormatVersion7EditTimes: a database of version 6 writes no edit
// time; RatchetFormatVersion(7) on it stamps the ratchet edit and every
// later one with Options.Clock's time, and the flushes and compactions
// after it enter the manifest's history at those times; a reopen (which
// rotates the manifest) keeps the history, and the database's contents.
func TestFormatVersion7EditTimes(t *testing.T) {
	fs := vfs.NewMem()
	clock := &fakeClock{}
	start := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	clock.ns.Store(start.UnixNano())
	opts := func() *Options {
		o := recoveryOptions(fs)
		o.FormatVersion = FormatVersion6
		o.Clock = clock
		return o
	}
	d := mustOpen(t, "/db", opts())
	want := make(map[string]string)
	writeRound(t, d, want, 0)
	for _, e := range manifestEdits(t, fs) {
		if e.Time != 0 || e.History != nil {
			t.Fatalf("version 6 edit %s carries a time or history", e)
		}
	}
	clock.advance(time.Minute)
	ratchet := clock.Now().UnixNano()
	if err := d.RatchetFormatVersion(FormatVersion7); err != nil || d.FormatVersion() != FormatVersion7 {
		t.Fatalf("ratchet to 7: %v, version %d", err, d.FormatVersion())
	}
	for r := 1; r <= 2; r++ {
		clock.advance(time.Second)
		writeRound(t, d, want, r)
	}
	timed := false
	for _, e := range manifestEdits(t, fs) {
		timed = timed || e.FormatVersion == FormatVersion7
		switch {
		case timed && e.Time < ratchet:
			t.Fatalf("edit %s, from the ratchet on, carries time %d, before the ratchet's %d", e, e.Time, ratchet)
		case !timed && e.Time != 0:
			t.Fatalf("edit %s, before the ratchet, carries a time", e)
		}
	}
	history := loadManifest(t, fs).History()
	kinds := map[manifest.EventKind]int{}
	for _, h := range history {
		kinds[h.Kind]++
		if h.Time <= ratchet || h.Time > clock.Now().UnixNano() {
			t.Errorf("history entry at %d, outside the clock's (%d, %d]", h.Time, ratchet, clock.Now().UnixNano())
		}
	}
	if kinds[manifest.EventFlush] < 4 || kinds[manifest.EventCompaction]+kinds[manifest.EventMove] == 0 {
		t.Fatalf("history of the two rounds after the ratchet: %v, want 4 flushes and a compaction", kinds)
	}
	mustClose(t, d)
	d = mustOpen(t, "/db", opts())
	defer mustClose(t, d)
	checkContents(t, d, want)
	after := loadManifest(t, fs).History()
	if len(after) < len(history) || !reflect.DeepEqual(after[:len(history)], history) {
		t.Fatalf("after a reopen the history is %d entries, not the %d before and more", len(after), len(history))
	}
	if e := manifestEdits(t, fs)[0]; !reflect.DeepEqual(e.History, after[:len(e.History)]) || len(e.History) < len(history) {
		t.Fatalf("the new manifest file's snapshot carries %d entries of history, want the %d before", len(e.History), len(history))
	}
}
