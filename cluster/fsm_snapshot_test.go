package cluster

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/raft"
	"github.com/tempestdb/tempest"
)

// memSink is a raft.SnapshotSink into memory.
type memSink struct {
	bytes.Buffer
	cancelled bool
}

func (s *memSink) ID() string    { return "mem" }
func (s *memSink) Cancel() error { s.cancelled = true; return nil }
func (s *memSink) Close() error  { return nil }

// snapshotDB opens a database whose exports are cut into files of about
// 4 KiB, so that a snapshot of a few hundred keys spans several.
func snapshotDB(t *testing.T) *tempest.DB {
	t.Helper()
	db, err := tempest.Open(filepath.Join(t.TempDir(), "db"), &tempest.Options{MemTableSize: 4 << 20, TargetFileSize: 4 << 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// snapshotSource returns the FSM of shard 2 on a new database after
// entries 1..203: 200 SETs of 100-byte values, one with an expiry, an
// MSET and an INCR.
func snapshotSource(t *testing.T) *shardFSM {
	t.Helper()
	f, err := openFSM(snapshotDB(t), shardPrefix(2), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var logs []*raft.Log
	for i := range 200 {
		logs = append(logs, entry(uint64(i+1), int64(1000+i), "set", fmt.Sprintf("key%03d", i), strings.Repeat(fmt.Sprint(i%10), 100)))
	}
	logs = append(logs,
		entry(201, 1300, "set", "ttl", "x", "px", "100000"),
		entry(202, 1301, "mset", "{c}1", "x", "{c}2", "y"),
		entry(203, 1302, "incr", "n"))
	applyAll(t, f, logs)
	return f
}

// persist returns the stream of a snapshot of f taken now; between the
// snapshot and its Persist, more entries apply (after, if not nil).
func persist(t *testing.T, f *shardFSM, after func()) []byte {
	t.Helper()
	snap, err := f.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Release()
	if after != nil {
		after()
	}
	var sink memSink
	if err := snap.Persist(&sink); err != nil || sink.cancelled {
		t.Fatalf("persist: %v (cancelled %v)", err, sink.cancelled)
	}
	return sink.Bytes()
}

// streamFiles returns the lengths of the files of a format 2 stream.
func streamFiles(t *testing.T, b []byte) []uint64 {
	t.Helper()
	r := bytes.NewReader(b[len(snapshotMagic)+16:])
	var out []uint64
	for {
		n, err := binary.ReadUvarint(r)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return out
		}
		out = append(out, n)
		r.Seek(int64(n), io.SeekCurrent)
	}
}

// fsmState is what a restore replaces or must leave: the shard's data,
// its applied index and clock in memory and as stored.
type fsmState struct {
	data            []byte
	applied, stored uint64
	now             int64
}

func stateOf(t *testing.T, f *shardFSM) fsmState {
	t.Helper()
	data, err := shardDataDB(f.db, int(binary.BigEndian.Uint16(f.prefix[1:])))
	if err != nil {
		t.Fatal(err)
	}
	stored, _, err := readApplied(f.db, f.prefix)
	if err != nil {
		t.Fatal(err)
	}
	return fsmState{data: data, applied: f.applied.Load(), stored: stored, now: f.lastNow.Load()}
}

func (s fsmState) equal(o fsmState) bool {
	return bytes.Equal(s.data, o.data) && s.applied == o.applied && s.stored == o.stored && s.now == o.now
}

func (s fsmState) String() string {
	return fmt.Sprintf("%d bytes of data, applied %d (stored %d), clock %d", len(s.data), s.applied, s.stored, s.now)
}

// restoreTarget returns the FSM of shard 2 on a new database holding
// other data, an applied index of its own, shard 1's data and a raft key
// of shard 2, none of which a restore may touch but the first two.
func restoreTarget(t *testing.T) (g, other *shardFSM) {
	t.Helper()
	db := snapshotDB(t)
	g, err := openFSM(db, shardPrefix(2), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	applyAll(t, g, []*raft.Log{entry(1, 1, "set", "stale", "gone"), entry(2, 2, "set", "key000", "old")})
	other, _ = openFSM(db, shardPrefix(1), t.TempDir())
	applyAll(t, other, []*raft.Log{entry(1, 1, "set", "elsewhere", "stays")})
	if err := db.Set(withSub(shardPrefix(2), subRaft, 'x'), []byte("raft"), tempest.Sync); err != nil {
		t.Fatal(err)
	}
	return g, other
}

// checkUntouched checks what restoreTarget put outside shard 2's state.
func checkUntouched(t *testing.T, g, other *shardFSM, before fsmState) {
	t.Helper()
	if s := stateOf(t, other); !s.equal(before) {
		t.Fatalf("shard 1 changed: %s, was %s", s, before)
	}
	if v, err := g.db.Get(withSub(shardPrefix(2), subRaft, 'x')); err != nil || string(v) != "raft" {
		t.Fatalf("shard 2's raft key: %q, %v", v, err)
	}
	if names, _ := os.ReadDir(g.scratch); len(names) != 0 {
		t.Fatalf("the scratch directory holds %d entries after the restore", len(names))
	}
}

// TestFSMSnapshotRestore: a snapshot taken at one index and persisted
// after more entries applied streams the state of that index, in
// several files; restored into another replica's FSM (which holds other
// data), it gives the same data, applied index and clock, and touches
// neither another shard nor the shard's raft keys nor leaves a file in
// the scratch directory. The restored FSM keeps its index when reopened
// and applies the next entry.
func TestFSMSnapshotRestore(t *testing.T) {
	f := snapshotSource(t)
	want := stateOf(t, f)
	stream := persist(t, f, func() {
		applyAll(t, f, []*raft.Log{entry(204, 2000, "set", "later", "no"), entry(205, 2001, "del", "key001")})
	})
	if files := streamFiles(t, stream); len(files) < 2 {
		t.Fatalf("the stream holds %d files, want several", len(files))
	}

	g, other := restoreTarget(t)
	otherBefore := stateOf(t, other)
	if err := g.Restore(io.NopCloser(bytes.NewReader(stream))); err != nil {
		t.Fatal(err)
	}
	if got := stateOf(t, g); !got.equal(want) {
		t.Fatalf("restored: %s, want %s", got, want)
	}
	if g.restores.Load() != 1 {
		t.Fatalf("restores %d, want 1", g.restores.Load())
	}
	checkUntouched(t, g, other, otherBefore)
	h, err := openFSM(g.db, shardPrefix(2), t.TempDir())
	if err != nil || h.applied.Load() != 203 || h.lastNow.Load() != 1302 {
		t.Fatalf("reopened after restore: applied %d clock %d, %v; want 203 and 1302", h.applied.Load(), h.lastNow.Load(), err)
	}
	if reps := applyAll(t, g, []*raft.Log{entry(204, 1400, "incr", "n")}); replyString(reps[0]) != "2" {
		t.Fatalf("INCR after the restore: %s, want 2", replyString(reps[0]))
	}
}

// writeFormat1 writes the stream an earlier version persisted: the
// applied record, then each data key without the shard's prefix and its
// value, as uvarint lengths and bytes.
func writeFormat1(t *testing.T, f *shardFSM) []byte {
	t.Helper()
	var buf bytes.Buffer
	buf.Write(appliedRecord(f.applied.Load(), f.lastNow.Load()))
	lower := withSub(f.prefix, subData)
	for kv, err := range f.db.All(lower, withSub(f.prefix, subData+1)) {
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range [][]byte{kv.Key[len(lower):], kv.Value} {
			buf.Write(binary.AppendUvarint(nil, uint64(len(b))))
			buf.Write(b)
		}
	}
	return buf.Bytes()
}

// TestFSMRestoreFormat1: a stream of the earlier format (which snapshot
// stores may still hold) restores the same state as format 2, also over
// the marker an earlier version's restore left when cut short, which it
// clears; the same stream cut short inside its header or a pair changes
// nothing. (Cut between two pairs it is a shorter valid stream: format 1
// has no end record, one reason for format 2.)
func TestFSMRestoreFormat1(t *testing.T) {
	f := snapshotSource(t)
	want := stateOf(t, f)
	stream := writeFormat1(t, f)

	g, other := restoreTarget(t)
	otherBefore := stateOf(t, other)
	before := stateOf(t, g)
	for _, cut := range []int{10, 17, 19, len(stream) - 1} {
		err := g.Restore(io.NopCloser(bytes.NewReader(stream[:cut])))
		if !errors.Is(err, tempest.ErrCorruption) {
			t.Fatalf("format 1 cut at %d of %d: %v, want ErrCorruption", cut, len(stream), err)
		}
		if s := stateOf(t, g); !s.equal(before) {
			t.Fatalf("format 1 cut at %d: the state changed: %s, was %s", cut, s, before)
		}
	}
	if err := g.db.Set(withSub(g.prefix, subRestoring), nil, tempest.Sync); err != nil {
		t.Fatal(err)
	}
	if err := g.Restore(io.NopCloser(bytes.NewReader(stream))); err != nil {
		t.Fatal(err)
	}
	if got := stateOf(t, g); !got.equal(want) {
		t.Fatalf("restored from format 1: %s, want %s", got, want)
	}
	if partial, err := g.restoring(); partial || err != nil {
		t.Fatalf("the earlier version's marker is left: %v, %v", partial, err)
	}
	checkUntouched(t, g, other, otherBefore)
}

// errBroken is the failure of a stream's reader (the network).
var errBroken = errors.New("connection reset")

// brokenReader returns b, then errBroken.
type brokenReader struct{ r *bytes.Reader }

func (b brokenReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		return n, errBroken
	}
	return n, err
}

// TestFSMRestoreDamaged: a restore from a snapshot stream that is cut
// short anywhere, has a byte changed (in the magic, the header, a file,
// the checksum), has bytes after its end, or whose reader fails midway,
// fails (ErrCorruption, or the reader's error), and leaves the shard's
// previous state intact (data, applied index in memory and as stored),
// with nothing left in the scratch directory. The undamaged stream then
// restores.
func TestFSMRestoreDamaged(t *testing.T) {
	f := snapshotSource(t)
	// A delete record (WATCH's) travels with the snapshot too.
	applyAll(t, f, []*raft.Log{entry(204, 1303, "del", "key000")})
	want := stateOf(t, f)
	stream := persist(t, f, nil)
	files := streamFiles(t, stream)
	firstFile := len(snapshotMagic) + 16 + len(binary.AppendUvarint(nil, files[0]))
	g, other := restoreTarget(t)
	otherBefore := stateOf(t, other)
	before := stateOf(t, g)

	flip := func(at int) []byte {
		b := bytes.Clone(stream)
		b[at] ^= 0x40
		return b
	}
	type damage struct {
		name string
		r    io.Reader
		want error
	}
	var cases []damage
	for _, cut := range []int{0, 5, 8, 20, 24, firstFile + 100, firstFile + int(files[0]), len(stream) / 2, len(stream) - 5, len(stream) - 1} {
		cases = append(cases, damage{fmt.Sprintf("cut at %d", cut), bytes.NewReader(stream[:cut]), tempest.ErrCorruption})
	}
	for _, at := range []int{0, 3, 10, firstFile + 200, len(stream) / 2, len(stream) - 2} {
		cases = append(cases, damage{fmt.Sprintf("byte %d changed", at), bytes.NewReader(flip(at)), tempest.ErrCorruption})
	}
	cases = append(cases,
		damage{"a byte after the end", bytes.NewReader(append(bytes.Clone(stream), 0)), tempest.ErrCorruption},
		damage{"reader fails midway", brokenReader{bytes.NewReader(stream[:len(stream)/2])}, errBroken})
	for _, c := range cases {
		err := g.Restore(io.NopCloser(c.r))
		if !errors.Is(err, c.want) {
			t.Fatalf("%s: %v, want %v", c.name, err, c.want)
		}
		if s := stateOf(t, g); !s.equal(before) {
			t.Fatalf("%s: the state changed: %s, was %s", c.name, s, before)
		}
		h, _ := openFSM(g.db, shardPrefix(2), t.TempDir())
		if h.applied.Load() != before.applied {
			t.Fatalf("%s: reopened, applied %d, was %d", c.name, h.applied.Load(), before.applied)
		}
		checkUntouched(t, g, other, otherBefore)
	}
	if g.restores.Load() != 0 {
		t.Fatalf("%d restores counted of failed ones", g.restores.Load())
	}
	if err := g.Restore(io.NopCloser(bufio.NewReader(bytes.NewReader(stream)))); err != nil {
		t.Fatal(err)
	}
	if got := stateOf(t, g); !got.equal(want) {
		t.Fatalf("restored after the damaged ones: %s, want %s", got, want)
	}
	t.Logf("%d damaged streams refused; %d files in the stream", len(cases), len(files))
}

// TestFSMRestoreOnStart: a shard restores its newest snapshot at start
// exactly when its FSM has not applied what the snapshot holds, judged
// by the snapshot's own applied record when its index (which counts
// no-op and configuration entries too) is above the FSM's; or when an
// earlier version's restore was cut short; or when the snapshot cannot
// be read.
func TestFSMRestoreOnStart(t *testing.T) {
	f := snapshotSource(t) // applied 203
	stream := persist(t, f, nil)
	store := func(index uint64, data []byte) raft.SnapshotStore {
		snaps, err := raft.NewFileSnapshotStore(t.TempDir(), 2, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		sink, err := snaps.Create(raft.SnapshotVersionMax, index, 1, raft.Configuration{}, 1, nil)
		if err != nil {
			t.Fatal(err)
		}
		sink.Write(data)
		if err := sink.Close(); err != nil {
			t.Fatal(err)
		}
		return snaps
	}
	empty, _ := raft.NewFileSnapshotStore(t.TempDir(), 2, io.Discard)
	g, _ := restoreTarget(t) // applied 2
	for _, c := range []struct {
		name  string
		f     *shardFSM
		snaps raft.SnapshotStore
		want  bool
	}{
		{"no snapshot", g, empty, false},
		{"the FSM past the snapshot's index", f, store(203, stream), false},
		{"the FSM behind the snapshot", g, store(203, stream), true},
		{"the FSM behind only by no-op entries", f, store(210, stream), false},
		{"the FSM behind, format 1", g, store(203, writeFormat1(t, f)), true},
		{"an unreadable snapshot", f, store(210, []byte("short")), true},
	} {
		got, err := c.f.restoreOnStart(c.snaps)
		if err != nil || got != c.want {
			t.Errorf("%s: %v, %v; want %v", c.name, got, err, c.want)
		}
	}
	if err := f.db.Set(withSub(f.prefix, subRestoring), nil, tempest.Sync); err != nil {
		t.Fatal(err)
	}
	if got, err := f.restoreOnStart(empty); err != nil || !got {
		t.Errorf("marker set: %v, %v; want true", got, err)
	}
}
