package manifest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/journal"
	"github.com/tempestdb/tempest/vfs"
)

// randomHistory returns n entries of random fields, in time order.
func randomHistory(rng *rand.Rand, n int) []HistoryEntry {
	var h []HistoryEntry
	t := rng.Int64N(math.MaxInt64 / 2)
	for range n {
		t += rng.Int64N(1 << 40)
		x := HistoryEntry{Time: t, Event: Event{Kind: EventKind(1 + rng.IntN(5)), From: rng.IntN(NumLevels+1) - 1,
			To: rng.IntN(NumLevels), InFiles: rng.Uint64(), OutFiles: rng.Uint64N(100), InBytes: rng.Uint64(),
			OutBytes: rng.Uint64N(1 << 40), Written: rng.Uint64()}}
		for l := range x.Levels {
			x.Levels[l] = LevelSize{Files: rng.Uint64N(1000), Bytes: rng.Uint64()}
		}
		h = append(h, x)
	}
	return h
}

// fakeClock is a clock the test sets.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }

// editsOf returns the edits of the manifest file in use.
func editsOf(t *testing.T, fs vfs.FS, m *Manifest) []*Edit {
	t.Helper()
	_, edits, err := journal.ReadFile(fs, m.mu.j.Path(), Codec{})
	if err != nil {
		t.Fatal(err)
	}
	return edits
}

// TestEditTimes: below FormatV7 Apply stamps no edit, whatever the edit
// holds; the edit that ratchets to FormatV7 and every later one carry the
// clock's time, held at the previous edit's when the clock goes back and
// at 1 at the epoch; the state refuses a time below FormatV7, a time that
// goes back, and a history outside a file's first edit.
func TestEditTimes(t *testing.T) {
	fs := vfs.NewMem()
	m := openManifest(t, fs)
	defer m.Close()
	clock := &fakeClock{now: time.Unix(1_800_000_000, 5)}
	m.SetClock(clock.Now)
	mustApply(t, m, &Edit{FormatVersion: FormatV6, Time: 42})
	mustApply(t, m, &Edit{NextFileNum: 10, Time: 42})
	mustApply(t, m, &Edit{FormatVersion: FormatV7})
	mustApply(t, m, &Edit{NextFileNum: 20})
	clock.now = clock.now.Add(-time.Hour)
	mustApply(t, m, &Edit{NextFileNum: 30})
	clock.now = clock.now.Add(2 * time.Hour)
	mustApply(t, m, &Edit{NextFileNum: 40})
	var times []int64
	for _, e := range editsOf(t, fs, m) {
		times = append(times, e.Time)
	}
	t0 := time.Unix(1_800_000_000, 5).UnixNano()
	want := []int64{0, 0, 0, t0, t0, t0, clock.now.UnixNano()} // comparer, v6, lease; v7 on
	if !reflect.DeepEqual(times, want) {
		t.Fatalf("edit times %v, want %v", times, want)
	}
	fs2 := vfs.NewMem()
	m2 := openManifest(t, fs2)
	defer m2.Close()
	m2.SetClock(func() time.Time { return time.Unix(0, 0) })
	mustApply(t, m2, &Edit{FormatVersion: FormatV7})
	if got := editsOf(t, fs2, m2); got[len(got)-1].Time != 1 {
		t.Fatalf("edit at the epoch stamped %d, want 1", got[len(got)-1].Time)
	}

	s := newState()
	if err := s.Apply(&Edit{ComparerName: "c", FormatVersion: FormatV6, Time: 5}); !errors.Is(err, base.ErrInvalidArgument) {
		t.Fatalf("a time below version 7: %v", err)
	}
	for _, e := range []*Edit{{ComparerName: "c", FormatVersion: FormatV7, Time: 5}, {Time: 5}} {
		if err := s.Apply(e); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		e    *Edit
		want string
	}{
		{&Edit{Time: 4}, "would go back"},
		{&Edit{Time: -1}, "negative"},
		{&Edit{Time: 6, History: randomHistory(newRand(1), 1)}, "not the first of its file"},
	} {
		if err := s.Check(tc.e); !errors.Is(err, base.ErrInvalidArgument) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an invariant error containing %q", tc.e, err, tc.want)
		}
	}
}

// TestHistoryDecodeErrors: tags 69 and 70 reject what they cannot hold.
func TestHistoryDecodeErrors(t *testing.T) {
	u64 := func(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	x := randomHistory(newRand(2), 1)[0]
	x.Time = 0
	body := appendHistory(nil, []HistoryEntry{x})[2:] // without the count and the time (0: one byte)
	entryAt := func(dt uint64) []byte { return cat(binary.AppendUvarint(nil, dt), body) }
	entry := entryAt(1) // kind at byte 1, from at 2, to at 3
	history := func(b ...[]byte) []byte {
		v := cat(b...)
		return cat([]byte{1, tagHistory}, binary.AppendUvarint(nil, uint64(len(v))), v)
	}
	bad := func(i int, b byte) []byte {
		e := bytes.Clone(entry)
		e[i] = b
		return e
	}
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"time 0", cat([]byte{1, tagEditTime, 8}, u64(0)), "edit time 0 out of range"},
		{"negative time", cat([]byte{1, tagEditTime, 8}, u64(1<<63)), "out of range"},
		{"short time", []byte{1, tagEditTime, 4, 1, 2, 3, 4}, "want at least 8"},
		{"repeated time", cat([]byte{1, tagEditTime, 8}, u64(1), []byte{tagEditTime, 8}, u64(2)), "edit time repeated"},
		{"count past its bytes", history([]byte{100}, entry), "history of 100 entries"},
		{"bytes after", history([]byte{1}, entry, []byte{0}), "1 bytes after the history"},
		{"truncated entry", history([]byte{1}, entry[:len(entry)-1], []byte{0x80}), "bad uvarint"},
		{"kind 0", history([]byte{1}, bad(1, 0)), "kind 0"},
		{"kind 6", history([]byte{1}, bad(1, 6)), "kind 6"},
		{"from level 7", history([]byte{1}, bad(2, NumLevels+1)), "from 7"},
		{"to the memtable", history([]byte{1}, bad(3, 0)), "to -1"},
		{"time past int64", history([]byte{2}, entryAt(math.MaxInt64), entryAt(1)), "past the largest int64"},
		{"repeated history", cat(history([]byte{0}), history([]byte{0})[1:]), "history repeated"},
	} {
		_, err := DecodeEdit(tc.b)
		if !errors.Is(err, base.ErrCorruption) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want corruption containing %q", tc.name, err, tc.want)
		}
	}
}

// TestHistoryAcrossRotation: from FormatV7 on, every edit that changes
// tables (after a file's first) appends an entry with its time, what it
// did and the levels after it; the snapshot of a rotation carries the
// history, so it survives rotation and reopen, and a replay of the file
// in use (ReplayHistory) rebuilds it.
func TestHistoryAcrossRotation(t *testing.T) {
	fs := vfs.NewMem()
	m := openManifest(t, fs)
	clock := &fakeClock{now: time.Unix(1_800_000_000, 0)}
	m.SetClock(clock.Now)
	tick := func() { clock.now = clock.now.Add(1500 * time.Millisecond) }
	mustApply(t, m, &Edit{FormatVersion: FormatV7, NextFileNum: 100, LastSeqNum: 10_000})
	a, b := l0(1), l0(2)
	l1 := meta(3, 1, "a", "z", 100, 310)
	tick()
	mustApply(t, m, &Edit{Added: []FileMetadata{a}, MinUnflushedLog: 2})
	tick()
	mustApply(t, m, &Edit{Added: []FileMetadata{b}})
	tick()
	mustApply(t, m, &Edit{NextFileNum: 200}) // no table: no entry
	tick()
	mustApply(t, m, Compaction([]FileMetadata{l1}, []RemovedFile{{0, 1}, {0, 2}}))
	moved := l1
	moved.Level = 2
	tick()
	mustApply(t, m, Compaction([]FileMetadata{moved}, []RemovedFile{{1, 3}}))
	tick()
	mustApply(t, m, &Edit{Removed: []RemovedFile{{2, 3}}})
	t0 := time.Unix(1_800_000_000, 0).UnixNano()
	at := func(ticks int) int64 { return t0 + int64(ticks)*int64(1500*time.Millisecond) }
	levels := func(sizes ...LevelSize) (out [NumLevels]LevelSize) { copy(out[:], sizes); return out }
	want := []HistoryEntry{
		{at(1), Event{EventFlush, -1, 0, 0, 1, 0, a.Size, a.Size}, levels(LevelSize{1, a.Size})},
		{at(2), Event{EventIngest, -1, 0, 0, 1, 0, b.Size, b.Size}, levels(LevelSize{2, a.Size + b.Size})},
		{at(4), Event{EventCompaction, 0, 1, 2, 1, a.Size + b.Size, l1.Size, l1.Size}, levels(LevelSize{}, LevelSize{1, l1.Size})},
		{at(5), Event{EventMove, 1, 2, 1, 1, l1.Size, l1.Size, 0}, levels(LevelSize{}, LevelSize{}, LevelSize{1, l1.Size})},
		{at(6), Event{EventDeleteOnly, 2, 2, 1, 0, l1.Size, 0, 0}, levels()},
	}
	check := func(when string, got []HistoryEntry) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: history\n%+v\nwant\n%+v", when, got, want)
		}
	}
	check("after the edits", m.History())
	replayed, err := ReplayHistory(editsOf(t, fs, m))
	check("replayed", replayed)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Rotate(); err != nil {
		t.Fatal(err)
	}
	edits := editsOf(t, fs, m)
	if len(edits) != 1 || edits[0].Time != at(6) {
		t.Fatalf("the new file holds %v, want one snapshot at the last edit's time %d", edits, at(6))
	}
	check("in the snapshot", edits[0].History)
	check("after a rotation", m.History())
	tick()
	mustApply(t, m, &Edit{Added: []FileMetadata{l0(4)}, MinUnflushedLog: 5})
	m.Close()
	m = openManifest(t, fs) // a reopen replays the file: its snapshot, then the flush
	defer m.Close()
	want = append(want, HistoryEntry{at(7), Event{EventFlush, -1, 0, 0, 1, 0, l0(4).Size, l0(4).Size}, levels(LevelSize{1, l0(4).Size})})
	check("after a reopen", m.History())
}

// TestHistoryLimit: the history keeps the last HistoryLimit entries, in
// the state and in the snapshot, which decodes to them.
func TestHistoryLimit(t *testing.T) {
	s := newState()
	if err := s.Apply(&Edit{ComparerName: "c", FormatVersion: FormatV7, NextFileNum: 1 << 40, LastSeqNum: 1 << 40, Time: 1}); err != nil {
		t.Fatal(err)
	}
	const extra = 50
	for i := range HistoryLimit + extra {
		f := l0(base.FileNum(10 + i))
		e := &Edit{Added: []FileMetadata{f}, Time: int64(2 + i)}
		if i%2 == 1 {
			e = &Edit{Removed: []RemovedFile{{0, f.FileNum - 1}}, Time: int64(2 + i)}
		}
		if err := s.Apply(e); err != nil {
			t.Fatalf("edit %d: %v", i, err)
		}
	}
	h := s.history.list()
	if len(h) != HistoryLimit || h[0].Time != 2+extra || h[len(h)-1].Time != 1+HistoryLimit+extra {
		t.Fatalf("history of %d entries from %d to %d, want %d from %d to %d",
			len(h), h[0].Time, h[len(h)-1].Time, HistoryLimit, 2+extra, 1+HistoryLimit+extra)
	}
	enc := s.Snapshot().Append(nil)
	snap, err := DecodeEdit(enc)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(snap.History, h) {
		t.Fatalf("the snapshot's history differs from the state's")
	}
	t.Logf("a snapshot with a full history: %d bytes", len(enc))
}
