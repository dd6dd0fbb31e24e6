package tempest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/vfs"
)

// The storage scenarios of tempest-kv (spec §6.4), ported.

func TestEmptyBatch(t *testing.T) {
	d := mustOpen(t, "/db", &Options{FS: vfs.NewMem()})
	defer mustClose(t, d)
	tok, err := d.Apply(d.NewBatch(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if tok.SeqNum() != uint64(base.SeqNumStart) {
		t.Fatalf("first batch seqnum = %d, want %d", tok.SeqNum(), base.SeqNumStart)
	}
}

func TestBasicRestart(t *testing.T) {
	fs := vfs.NewMem()
	d := mustOpen(t, "/db", &Options{FS: fs})
	b := d.NewBatch()
	for i := range 6 {
		if err := b.Set(fmt.Appendf(nil, "key%d", i), fmt.Appendf(nil, "val%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if b.Count() != 6 {
		t.Fatalf("count = %d", b.Count())
	}
	if _, err := d.Apply(b, Sync); err != nil {
		t.Fatal(err)
	}
	mustClose(t, d)

	d = mustOpen(t, "/db", &Options{FS: fs})
	for i := range 6 {
		mustGet(t, d, fmt.Sprintf("key%d", i), fmt.Sprintf("val%d", i))
	}
	b = d.NewBatch()
	for i := 0; i < 6; i += 2 {
		if err := b.Delete(fmt.Appendf(nil, "key%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.Apply(b, nil); err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		if i%2 == 0 {
			mustNotFound(t, d, fmt.Sprintf("key%d", i))
		} else {
			mustGet(t, d, fmt.Sprintf("key%d", i), fmt.Sprintf("val%d", i))
		}
	}
	mustClose(t, d)
	d = mustOpen(t, "/db", &Options{FS: fs})
	defer mustClose(t, d)
	if got := dump(t, d); len(got) != 3 || got["key1"] != "val1" || got["key5"] != "val5" {
		t.Fatalf("after reopen: %v", got)
	}
}

// TestScanDedupAcrossSources puts versions of keys in the active memtable,
// in a frozen (unflushed) memtable and in an SST, and checks that a scan
// yields one entry per key, the newest, with tombstones hidden — before
// and after a restart.
func TestScanDedupAcrossSources(t *testing.T) {
	fs := vfs.NewMem()
	sched := &manualScheduler{}
	d := mustOpen(t, "/db", &Options{FS: fs, Scheduler: sched})

	mustSet(t, d, "key_a", "old", nil)
	if err := d.freeze(); err != nil {
		t.Fatal(err)
	}
	sched.runAll() // key_a=old is now in an L0 SST
	if m := d.Metrics(); m.Levels[0].Files != 1 {
		t.Fatalf("L0 files = %d, want 1", m.Levels[0].Files)
	}
	mustSet(t, d, "key_a", "new", nil)
	mustSet(t, d, "key_b", "v", nil)
	if err := d.freeze(); err != nil { // frozen, flush not run
		t.Fatal(err)
	}
	snap := d.NewSnapshot()
	if err := d.Delete([]byte("key_b"), nil); err != nil {
		t.Fatal(err)
	}
	if n := d.Metrics().MemTables.Count; n != 2 {
		t.Fatalf("memtables = %d, want 2 (active + frozen)", n)
	}

	check := func(d *DB) {
		t.Helper()
		it, err := d.NewIter(nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := scanAll(t, it); !slices.Equal(got, []string{"key_a=new"}) {
			t.Fatalf("scan = %v, want [key_a=new]", got)
		}
		// Backward too.
		var back []string
		for ok := it.Last(); ok; ok = it.Prev() {
			back = append(back, string(it.Key())+"="+string(it.Value()))
		}
		if !slices.Equal(back, []string{"key_a=new"}) {
			t.Fatalf("reverse scan = %v", back)
		}
		if err := it.Close(); err != nil {
			t.Fatal(err)
		}
		mustGet(t, d, "key_a", "new")
		mustNotFound(t, d, "key_b")
	}
	check(d)

	// The snapshot predates the delete.
	it, err := snap.NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := scanAll(t, it); !slices.Equal(got, []string{"key_a=new", "key_b=v"}) {
		t.Fatalf("snapshot scan = %v", got)
	}
	it.Close()
	snap.Close()

	sched.runAll()
	check(d)
	mustClose(t, d)
	d = mustOpen(t, "/db", &Options{FS: fs})
	defer mustClose(t, d)
	check(d)
}

// TestLoadWithRestarts writes many small batches over a sliding key
// window with periodic deletes and restarts, with tiny memtables so that
// many flushes happen, then checks every key after a final reopen.
func TestLoadWithRestarts(t *testing.T) {
	fs := vfs.NewMem()
	model := map[string]string{}
	d := mustOpen(t, "/db", smallOptions(fs))
	const n = 6000
	for i := range n {
		k := fmt.Sprintf("key%05d", i%1500)
		if i%7 == 3 {
			if err := d.Delete([]byte(k), NoSync); err != nil {
				t.Fatal(err)
			}
			delete(model, k)
		} else {
			v := fmt.Sprintf("value-%d-%s", i, slices.Repeat([]byte("x"), i%50))
			mustSet(t, d, k, v, NoSync)
			model[k] = v
		}
		if i%1000 == 999 {
			mustClose(t, d)
			d = mustOpen(t, "/db", smallOptions(fs))
		}
	}
	mustClose(t, d)
	d = mustOpen(t, "/db", smallOptions(fs))
	defer mustClose(t, d)
	lsm, _ := d.LSM()
	files, levels := 0, 0
	for _, l := range lsm {
		files += len(l)
		if len(l) > 0 {
			levels++
		}
	}
	if files < 3 || levels < 2 {
		t.Fatalf("%d files on %d levels: the test meant to force many flushes and compactions", files, levels)
	}
	got := dump(t, d)
	if len(got) != len(model) {
		t.Fatalf("scan has %d keys, model %d", len(got), len(model))
	}
	for k, v := range model {
		if got[k] != v {
			t.Fatalf("%s = %q, want %q", k, got[k], v)
		}
		mustGet(t, d, k, v)
	}
}

// TestRecoverySeqNumVisibility is the tempest-kv regression: after a flush
// and three more writes that live only in the WAL, a restart must make all
// of them visible (the recovered visible seqnum must not lag the WAL).
func TestRecoverySeqNumVisibility(t *testing.T) {
	fs := vfs.NewMem()
	d := mustOpen(t, "/db", smallOptions(fs))
	for i := range 2000 {
		mustSet(t, d, fmt.Sprintf("a%04d", i), "flushed", NoSync)
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"x", "y", "z"} {
		mustSet(t, d, k, "wal-only", NoSync)
	}
	mustClose(t, d)
	d = mustOpen(t, "/db", smallOptions(fs))
	defer mustClose(t, d)
	for _, k := range []string{"x", "y", "z"} {
		mustGet(t, d, k, "wal-only")
	}
	mustGet(t, d, "a0000", "flushed")
	snap := d.NewSnapshot()
	defer snap.Close()
	if v, err := snap.Get([]byte("z")); err != nil || string(v) != "wal-only" {
		t.Fatalf("snapshot get z = %q, %v", v, err)
	}
}

// TestMonotonicNumbersAcrossRestarts: sequence numbers and file numbers
// strictly increase across writes and restarts, including restarts after
// a crash that lost unsynced writes and files.
func TestMonotonicNumbersAcrossRestarts(t *testing.T) {
	fs := vfs.NewMem()
	var lastSeq uint64
	var lastFile base.FileNum
	for round := range 8 {
		d := mustOpen(t, "/db", smallOptions(fs))
		d.alloc.mu.Lock()
		next := d.alloc.nextFile
		d.alloc.mu.Unlock()
		if next <= lastFile {
			t.Fatalf("round %d: next file %d does not exceed %d", round, next, lastFile)
		}
		for i := range 300 {
			b := d.NewBatch()
			b.Set(fmt.Appendf(nil, "k%d", i), make([]byte, 200))
			tok, err := d.Apply(b, NoSync)
			if err != nil {
				t.Fatal(err)
			}
			if tok.SeqNum() <= lastSeq {
				t.Fatalf("round %d: seqnum %d after %d", round, tok.SeqNum(), lastSeq)
			}
			lastSeq = tok.SeqNum()
		}
		d.alloc.mu.Lock()
		lastFile = d.alloc.nextFile - 1
		d.alloc.mu.Unlock()
		if round%2 == 0 {
			mustClose(t, d)
			continue
		}
		// Crash: keep only what was synced. The DB object is abandoned.
		crashed := fs.CrashClone(vfs.CrashOptions{UnsyncedDataPercent: 0, Rand: newRand(uint64(round))})
		d.Close()
		fs = crashed
	}
}
