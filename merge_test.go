package tempest

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/vfs"
)

// u64 encodes n as an operand of Uint64AddMerger.
func u64(n uint64) []byte { return binary.LittleEndian.AppendUint64(nil, n) }

// mergeOptions returns small options with Uint64AddMerger.
func mergeOptions(fs vfs.FS) *Options {
	o := smallOptions(fs)
	o.Merger = Uint64AddMerger
	return o
}

func mustMerge(t testing.TB, d *DB, k string, n uint64) {
	t.Helper()
	if err := d.Merge([]byte(k), u64(n), nil); err != nil {
		t.Fatalf("merge %q: %v", k, err)
	}
}

// getU64 reads key's counter through get, failing on any error.
func getU64(t testing.TB, get func([]byte) ([]byte, error), k string) uint64 {
	t.Helper()
	v, err := get([]byte(k))
	if err != nil {
		t.Fatalf("get %q: %v", k, err)
	}
	if len(v) != 8 {
		t.Fatalf("get %q = %x, want 8 bytes", k, v)
	}
	return binary.LittleEndian.Uint64(v)
}

func TestMergeCounterThroughFlushAndCompaction(t *testing.T) {
	d := mustOpen(t, "db", mergeOptions(vfs.NewMem()))
	defer mustClose(t, d)
	mustMerge(t, d, "c", 1)
	mustMerge(t, d, "c", 2)
	if got := getU64(t, d.Get, "c"); got != 3 {
		t.Fatalf("c = %d, want 3", got)
	}
	snap := d.NewSnapshot()
	defer snap.Close()
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	mustMerge(t, d, "c", 10)
	if err := d.Compact(context.Background(), nil, nil); err != nil {
		t.Fatal(err)
	}
	mustMerge(t, d, "c", 100)
	if got := getU64(t, d.Get, "c"); got != 113 {
		t.Fatalf("c = %d, want 113", got)
	}
	if got := getU64(t, snap.Get, "c"); got != 3 {
		t.Fatalf("snapshot c = %d, want 3", got)
	}
	if err := d.Set([]byte("c"), u64(1000), nil); err != nil {
		t.Fatal(err)
	}
	mustMerge(t, d, "c", 5)
	if got := getU64(t, d.Get, "c"); got != 1005 {
		t.Fatalf("c = %d, want 1005", got)
	}
	if err := d.Delete([]byte("c"), nil); err != nil {
		t.Fatal(err)
	}
	mustMerge(t, d, "c", 7)
	if err := d.Compact(context.Background(), nil, nil); err != nil {
		t.Fatal(err)
	}
	if got := getU64(t, d.Get, "c"); got != 7 {
		t.Fatalf("c = %d, want 7", got)
	}
	if got := getU64(t, snap.Get, "c"); got != 3 {
		t.Fatalf("snapshot c after compaction = %d, want 3", got)
	}
}

func TestMergeWithoutMerger(t *testing.T) {
	d := mustOpen(t, "db", smallOptions(vfs.NewMem()))
	defer mustClose(t, d)
	if err := d.Merge([]byte("k"), u64(1), nil); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("DB.Merge without a merger: %v, want ErrInvalidArgument", err)
	}
	if err := d.NewBatch().Merge([]byte("k"), u64(1)); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("Batch.Merge without a merger: %v, want ErrInvalidArgument", err)
	}
	mustNotFound(t, d, "k")
}

func TestMergeNeedsFormatVersion4(t *testing.T) {
	fs := vfs.NewMem()
	o := mergeOptions(fs)
	o.FormatVersion = FormatVersion2
	d := mustOpen(t, "db", o)
	err := d.Merge([]byte("k"), u64(1), nil)
	if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "format version 4") {
		t.Fatalf("Merge at version 2: %v, want ErrInvalidArgument naming version 4", err)
	}
	mustNotFound(t, d, "k")
	if err := d.RatchetFormatVersion(FormatVersion4); err != nil {
		t.Fatal(err)
	}
	mustMerge(t, d, "k", 4)
	mustClose(t, d)
	// The ratchet recorded the merger: opening without it fails.
	if _, err := Open("db", smallOptions(fs)); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("reopen without the merger: %v, want ErrInvalidArgument", err)
	}
	d = mustOpen(t, "db", mergeOptions(fs))
	defer mustClose(t, d)
	if got := getU64(t, d.Get, "k"); got != 4 {
		t.Fatalf("k = %d, want 4", got)
	}
}

// sstEntries renders every point entry of the DB's SSTs, level by level,
// as "key.KIND=counter" strings.
func sstEntries(t *testing.T, d *DB) []string {
	t.Helper()
	var out []string
	rs := d.loadReadState()
	defer rs.unref()
	for _, files := range rs.version.Levels {
		for _, f := range files {
			tr, err := d.tables.get(f)
			if err != nil {
				t.Fatal(err)
			}
			it := tr.r.NewIter()
			for ok := it.First(); ok; ok = it.Next() {
				k := it.Key()
				s := fmt.Sprintf("%s.%s", k.UserKey, k.Kind())
				if len(it.Value()) == 8 {
					s += fmt.Sprintf("=%d", getLE(it.Value()))
				}
				out = append(out, s)
			}
			if err := it.Close(); err != nil {
				t.Fatal(err)
			}
			tr.release()
		}
	}
	return out
}

// TestMergeFlushCombines checks that a flush combines a key's operands
// within a snapshot stripe, never across an open snapshot, and keeps
// them operands (older versions may lie below); a bottommost compaction
// turns them into a value.
func TestMergeFlushCombines(t *testing.T) {
	d := mustOpen(t, "db", mergeOptions(vfs.NewMem()))
	defer mustClose(t, d)
	mustMerge(t, d, "k", 1)
	mustMerge(t, d, "k", 2)
	snap := d.NewSnapshot()
	mustMerge(t, d, "k", 4)
	mustMerge(t, d, "k", 8)
	if err := d.Set([]byte("s"), u64(10), nil); err != nil {
		t.Fatal(err)
	}
	mustMerge(t, d, "s", 5)
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(sstEntries(t, d), " "), "k.MERGE=12 k.MERGE=3 s.SET=15"; got != want {
		t.Fatalf("flushed entries %s, want %s", got, want)
	}
	if got := getU64(t, snap.Get, "k"); got != 3 {
		t.Fatalf("snapshot k = %d, want 3", got)
	}
	snap.Close()
	if err := d.Compact(context.Background(), nil, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(sstEntries(t, d), " "), "k.SET=15 s.SET=15"; got != want {
		t.Fatalf("compacted entries %s, want %s", got, want)
	}
	if got := getU64(t, d.Get, "k"); got != 15 {
		t.Fatalf("k = %d, want 15", got)
	}
}

// TestMergeFlushRaisesHorizon checks that a flush that combined operands
// refuses snapshots at the seqnums between them, also after a reopen.
func TestMergeFlushRaisesHorizon(t *testing.T) {
	fs := vfs.NewMem()
	d := mustOpen(t, "db", mergeOptions(fs))
	apply := func(n uint64) WriteToken {
		b := d.NewBatch()
		if err := b.Merge([]byte("k"), u64(n)); err != nil {
			t.Fatal(err)
		}
		tok, err := d.Apply(b, nil)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	t1 := apply(1)
	apply(2)
	s, err := d.NewSnapshotAt(t1)
	if err != nil {
		t.Fatalf("snapshot at a token before the flush: %v", err)
	}
	s.Close()
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.NewSnapshotAt(t1); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("snapshot between combined operands: %v, want ErrInvalidArgument", err)
	}
	mustClose(t, d)
	d = mustOpen(t, "db", mergeOptions(fs))
	defer mustClose(t, d)
	if _, err := d.NewSnapshotAt(t1); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("after reopen: snapshot between combined operands: %v, want ErrInvalidArgument", err)
	}
	if got := getU64(t, d.Get, "k"); got != 3 {
		t.Fatalf("k = %d, want 3", got)
	}
}

// TestMergeReplayFoldUnderNewerRangeDelete checks the fold of a replayed
// memtable under a range tombstone newer than the operand: the tombstone
// covers the operand too, so it must not end the fold, and a snapshot at
// the operand's batch reads the operand over the value below it. (The
// replay's flush has no snapshot stripes: its horizon is the operand's
// seqnum, not the newest one.)
func TestMergeReplayFoldUnderNewerRangeDelete(t *testing.T) {
	fs := vfs.NewMem()
	d := mustOpen(t, "db", mergeOptions(fs))
	if err := d.Set([]byte("k"), u64(10), nil); err != nil {
		t.Fatal(err)
	}
	b := d.NewBatch()
	if err := b.Merge([]byte("k"), u64(5)); err != nil {
		t.Fatal(err)
	}
	tok, err := d.Apply(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.DeleteRange([]byte("a"), []byte("z"), nil); err != nil {
		t.Fatal(err)
	}
	mustClose(t, d)
	d = mustOpen(t, "db", mergeOptions(fs))
	defer mustClose(t, d)
	s, err := d.NewSnapshotAt(tok)
	if err != nil {
		t.Fatalf("snapshot at the operand's batch: %v", err)
	}
	defer s.Close()
	if got := getU64(t, s.Get, "k"); got != 15 {
		t.Fatalf("snapshot k = %d, want 15", got)
	}
	if _, err := d.Get([]byte("k")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("k after the range delete: %v, want ErrNotFound", err)
	}
}
