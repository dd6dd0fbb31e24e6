package cluster

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"testing"

	"github.com/hashicorp/raft"
	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/sstable"
	"github.com/tempestdb/tempest/vfs"
)

// sweepLog is an expiry sweep's entry listing keys, stamped now.
func sweepLog(idx uint64, now int64, keys ...string) *raft.Log {
	return entry(idx, now, append([]string{entrySweep}, keys...)...)
}

// physicalVersions flushes db and counts the entries (values and
// tombstones) of engine key key in its SSTs: what the LSM physically
// holds of it, hidden versions included.
func physicalVersions(t *testing.T, db *tempest.DB, dir string, key []byte) int {
	t.Helper()
	if err := db.Flush(); err != nil {
		t.Fatal(err)
	}
	levels, err := db.LSM()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, files := range levels {
		for _, f := range files {
			n += tableVersions(t, filepath.Join(dir, base.SSTDir, sstable.FileName(base.FileNum(f.FileNum))), key)
		}
	}
	return n
}

// tableVersions counts the entries of key in the SST at path.
func tableVersions(t *testing.T, path string, key []byte) int {
	t.Helper()
	fh, err := vfs.Default.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	size, err := fh.Size()
	if err != nil {
		fh.Close()
		t.Fatal(err)
	}
	r, err := sstable.Open(fh, size, sstable.ReaderOptions{Comparer: tempest.DefaultComparer, FileName: path})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	it := r.NewIter()
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		if bytes.Equal(it.Key().UserKey, key) {
			n++
		}
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestFSMSweep: an expiry sweep's entry deletes exactly the listed keys
// whose values have expired at the entry's clock (raised to the
// shard's): not one rewritten between the listing and the apply, not
// one whose expiry is later, not one without expiry, not an absent one.
// Two replicas applying the same log reply the same and hold the same
// state; after a compaction the swept value and the older version it hid
// are physically gone, while an expired value no entry listed is still
// stored.
func TestFSMSweep(t *testing.T) {
	before := []*raft.Log{
		entry(1, 1000, "set", "a", "old"), // hidden by entry 2, then swept with it
	}
	writes := []*raft.Log{
		entry(2, 1000, "set", "a", "v", "px", "100"), // expires at 1100
		entry(3, 1000, "set", "b", "v", "px", "100"),
		entry(4, 1000, "set", "c", "v", "px", "500"), // expires at 1500
		entry(5, 1000, "set", "d", "v"),
		entry(6, 1000, "set", "e", "v", "px", "100"), // expired, never listed
		sweepLog(7, 1050, "a", "b"),                  // nothing expired at 1050
		entry(8, 1200, "set", "b", "new"),            // b rewritten after the leader listed it
	}
	after := []*raft.Log{
		sweepLog(9, 1150, "a", "b", "c", "d"), // clock raised to 1200: a alone
		sweepLog(10, 1600, "c", "nokey"),
		entry(11, 1700, "set", "c", "again", "px", "50"),
		sweepLog(12, 1720, "c"), // c expires at 1750
	}
	wantReplies := []string{"0", "1", "1", "OK", "0"} // entries 7, 9, 10, 11, 12
	var states [][]byte
	for r := range 2 {
		dir := filepath.Join(t.TempDir(), "db")
		db := openTestDB(t, dir)
		f, err := openFSM(db, shardPrefix(2), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		data := func(k string) []byte { return withSub(f.prefix, subData, []byte(k)...) }
		applyAll(t, f, before)
		if err := db.Flush(); err != nil { // "old" in an SST of its own
			t.Fatal(err)
		}
		reps := applyAll(t, f, writes)
		if n := physicalVersions(t, db, dir, data("a")); n != 2 {
			t.Fatalf("replica %d: %d stored versions of a before the sweep, want 2 (the expiring value and the one it hides)", r, n)
		}
		reps = append(reps[5:6], applyAll(t, f, after)...)
		for i, want := range wantReplies {
			if got := replyString(reps[i]); got != want {
				t.Fatalf("replica %d: reply %d %q, want %q", r, i, got, want)
			}
		}
		for k, want := range map[string]string{"a": "", "b": "new", "c": "again", "d": "v", "e": "v"} {
			v, err := db.Get(data(k))
			switch {
			case want == "" && err == nil:
				t.Fatalf("replica %d: %s still stored after its sweep", r, k)
			case want != "" && (err != nil || !bytes.HasSuffix(v, []byte(want))):
				t.Fatalf("replica %d: %s = %q, %v; want %q stored", r, k, v, err, want)
			}
		}
		if err := db.Compact(context.Background(), withSub(f.prefix, subData), withSub(f.prefix, subData+1)); err != nil {
			t.Fatal(err)
		}
		for k, want := range map[string]int{"a": 0, "e": 1, "d": 1} {
			if n := physicalVersions(t, db, dir, data(k)); n != want {
				t.Fatalf("replica %d: after a compaction, %d stored versions of %s, want %d", r, n, k, want)
			}
		}
		state, err := shardDataDB(db, 2)
		if err != nil {
			t.Fatal(err)
		}
		states = append(states, state)
		if f.applied.Load() != 12 || f.lastNow.Load() != 1720 {
			t.Fatalf("replica %d: applied %d at %d, want 12 at 1720", r, f.applied.Load(), f.lastNow.Load())
		}
		db.Close()
	}
	if !bytes.Equal(states[0], states[1]) {
		t.Fatal("two replicas of one log hold different states")
	}
}

// keyIn returns the first key prefix+i (i = 0, 1, ...) whose bucket of
// delete records is key's (same) or is none of others' (!same).
func keyIn(f *shardFSM, prefix string, same bool, key string, others ...string) string {
	for i := 0; ; i++ {
		k := fmt.Sprint(prefix, i)
		b := f.deleteBucket([]byte(k))
		hit := bytes.Equal(b, f.deleteBucket([]byte(key)))
		for _, o := range others {
			hit = hit || bytes.Equal(b, f.deleteBucket([]byte(o)))
		}
		if hit == same && k != key {
			return k
		}
	}
}

// TestFSMSweepWatch: WATCH with the sweep, as redis-server 7.0: a key
// already expired at WATCH and swept since is no change; a key live at
// WATCH and swept since, or written after WATCH and swept before EXEC,
// is one; another key of the bucket swept, written before WATCH, does
// not abort.
func TestFSMSweepWatch(t *testing.T) {
	db := openTestDB(t, filepath.Join(t.TempDir(), "db"))
	defer db.Close()
	f, err := openFSM(db, shardPrefix(0), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// q: a key absent throughout, in a bucket of its own among these
	// keys but for mate.
	q := keyIn(f, "q", false, "n", "dead", "live", "redo")
	mate := keyIn(f, "mate", true, q)
	applyAll(t, f, []*raft.Log{
		entry(1, 1000, "set", "dead", "v", "px", "10"),
		entry(2, 1000, "set", "live", "v", "px", "100"),
		entry(3, 1000, "set", "redo", "v", "px", "10"),
		entry(4, 1000, "set", mate, "v", "px", "10"),
	})
	// WATCH reads at index 4, clock 1050: dead, redo and mate expired,
	// live alive, n and q absent. Then other clients write n and redo,
	// and everything expires and is swept.
	applyAll(t, f, []*raft.Log{
		entry(5, 1060, "set", "n", "v", "px", "10"),
		entry(6, 1060, "set", "redo", "w", "px", "10"),
		sweepLog(7, 1200, "dead", "live", "redo", "n", mate),
	})
	for _, k := range []string{"dead", "live", "redo", "n", mate} {
		if _, err := db.Get(withSub(f.prefix, subData, []byte(k)...)); err == nil {
			t.Fatalf("%s not swept", k)
		}
	}
	dead := watched{key: []byte("dead"), stored: true, version: 1, seen: 4}
	cases := []struct {
		name    string
		w       watched
		aborted bool
	}{
		{"expired at WATCH, swept", dead, false},
		{"live at WATCH, swept", watched{key: []byte("live"), stored: true, alive: true, version: 2, seen: 4}, true},
		{"expired at WATCH, rewritten, swept", watched{key: []byte("redo"), stored: true, version: 3, seen: 4}, true},
		{"absent at WATCH, written, swept", watched{key: []byte("n"), seen: 4}, true},
		{"absent at WATCH and since, a key of its bucket swept", watched{key: []byte(q), seen: 4}, false},
	}
	for i, c := range cases {
		got := applyAll(t, f, []*raft.Log{execLog(uint64(8+i), 1300, []watched{c.w}, []string{"set", "x", "1"})})[0]
		if got.aborted != c.aborted {
			t.Fatalf("%s: aborted %v, want %v (%+v)", c.name, got.aborted, c.aborted, got)
		}
	}
}

// TestFSMSweepSnapshot: what sweep entries did (tombstones, delete
// records) travels in a snapshot: the restored replica holds the source's
// state and applies the next sweep entry as the source does; a replica
// reopened after it applied a sweep entry skips that entry when raft
// replays it.
func TestFSMSweepSnapshot(t *testing.T) {
	f, err := openFSM(snapshotDB(t), shardPrefix(2), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	applyAll(t, f, []*raft.Log{
		entry(1, 1000, "set", "a", "v", "px", "100"),
		entry(2, 1000, "set", "b", "v", "px", "100"),
		entry(3, 1000, "set", "c", "v"),
		sweepLog(4, 1200, "a"),
	})
	stream := persist(t, f, nil)
	g, _ := restoreTarget(t)
	if err := g.Restore(io.NopCloser(bytes.NewReader(stream))); err != nil {
		t.Fatal(err)
	}
	if got, want := stateOf(t, g), stateOf(t, f); !got.equal(want) {
		t.Fatalf("restored: %s, want %s", got, want)
	}
	next := sweepLog(5, 1300, "b", "c")
	for _, h := range []*shardFSM{f, g} {
		if got := replyString(applyAll(t, h, []*raft.Log{next})[0]); got != "1" {
			t.Fatalf("sweep after the snapshot: %s, want 1", got)
		}
	}
	if got, want := stateOf(t, g), stateOf(t, f); !got.equal(want) {
		t.Fatalf("after the next sweep: restored replica %s, source %s", got, want)
	}
	before := stateOf(t, g)
	h, err := openFSM(g.db, shardPrefix(2), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	applyAll(t, h, []*raft.Log{next})
	if got := stateOf(t, h); !got.equal(before) {
		t.Fatalf("replayed after a reopen: %s, want %s", got, before)
	}
}
