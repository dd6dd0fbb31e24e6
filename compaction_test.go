package tempest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tempestdb/tempest/vfs"
)

func lsmBytes(d *DB) uint64 {
	var n uint64
	for _, l := range d.Metrics().Levels {
		n += l.Bytes
	}
	return n
}

// TestSpaceAmplification writes ten memtables' worth of overwrites and
// deletes over a fixed key set, compacts, and checks that the LSM holds
// little more than the live data: its size stays below 1.3× that of a
// fresh database holding only the live keys, and Metrics reports a space
// amplification below 1.3.
func TestSpaceAmplification(t *testing.T) {
	seed := testSeed(t)
	rng := newRand(seed)
	o := smallOptions(vfs.NewMem())
	d := mustOpen(t, "/db", o)
	defer d.Close()
	live := map[string][]byte{}
	var written int
	for written < 10*o.MemTableSize {
		k := fmt.Sprintf("key%05d", rng.IntN(2000))
		if rng.IntN(5) == 0 {
			if err := d.Delete([]byte(k), NoSync); err != nil {
				t.Fatal(err)
			}
			delete(live, k)
			written += len(k)
			continue
		}
		v := make([]byte, 100)
		for i := range v {
			v[i] = byte(rng.Uint32())
		}
		if err := d.Set([]byte(k), v, NoSync); err != nil {
			t.Fatal(err)
		}
		live[k] = v
		written += len(k) + len(v)
	}
	if err := d.Compact(context.Background(), nil, nil); err != nil {
		t.Fatal(err)
	}
	m := d.Metrics()
	t.Logf("after compaction:\n%s", m)
	if m.SpaceAmp >= 1.3 {
		t.Fatalf("space amplification %.2f >= 1.3", m.SpaceAmp)
	}
	if m.Compactions == 0 {
		t.Fatal("no compaction ran")
	}

	fresh := mustOpen(t, "/fresh", o)
	defer fresh.Close()
	b := fresh.NewBatch()
	for k, v := range live {
		b.Set([]byte(k), v)
		if b.Count() == 100 {
			if _, err := fresh.Apply(b, NoSync); err != nil {
				t.Fatal(err)
			}
			b.Reset()
		}
	}
	if _, err := fresh.Apply(b, NoSync); err != nil {
		t.Fatal(err)
	}
	if err := fresh.Compact(context.Background(), nil, nil); err != nil {
		t.Fatal(err)
	}
	got, want := lsmBytes(d), lsmBytes(fresh)
	t.Logf("LSM bytes %d, live-only DB %d, ratio %.3f", got, want, float64(got)/float64(want))
	if float64(got) >= 1.3*float64(want) {
		t.Fatalf("LSM holds %d bytes, %.2f× the %d of the live data", got, float64(got)/float64(want), want)
	}
	for k, v := range live {
		mustGet(t, d, k, string(v))
	}
	if err := d.Check(); err != nil {
		t.Fatal(err)
	}
}

// TestCompactionDeletesObsoleteFilesOnlyWhenUnused keeps an iterator open
// across a compaction and checks that it still reads the old files, which
// are deleted only once it is closed.
func TestCompactionDeletesObsoleteFilesOnlyWhenUnused(t *testing.T) {
	fs := vfs.NewMem()
	o := smallOptions(fs)
	o.DisableAutomaticCompactions = true
	d := mustOpen(t, "/db", o)
	defer d.Close()
	for round := range 3 {
		for i := range 500 {
			mustSet(t, d, fmt.Sprintf("k%04d", i), fmt.Sprintf("v%d-%d", round, i), NoSync)
		}
		if err := d.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	it, err := d.NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := fs.List("/db/sst")
	if err := d.Compact(context.Background(), nil, nil); err != nil {
		t.Fatal(err)
	}
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		if want := fmt.Sprintf("v2-%d", n); string(it.Value()) != want {
			t.Fatalf("iterator read %q at %q, want %q", it.Value(), it.Key(), want)
		}
		n++
	}
	if n != 500 || it.Error() != nil {
		t.Fatalf("iterator saw %d keys, err %v", n, it.Error())
	}
	during, _ := fs.List("/db/sst")
	for _, name := range before {
		found := false
		for _, x := range during {
			found = found || x == name
		}
		if !found {
			t.Fatalf("%s deleted while an iterator used it", name)
		}
	}
	it.Close()
	after, _ := fs.List("/db/sst")
	if len(after) >= len(during) {
		t.Fatalf("obsolete files not deleted after the iterator closed: %v -> %v", during, after)
	}
	lsm, _ := d.LSM()
	var live int
	for _, files := range lsm {
		live += len(files)
	}
	if live != len(after) {
		t.Fatalf("%d live files, %d on disk", live, len(after))
	}
}

// TestCompactionsInProgressUntilFollowUpsScheduled checks that a finished
// compaction counts in Metrics().CompactionsInProgress until it has
// scheduled the compactions that follow it: CompactionEnd runs in that
// window (after the result is installed, before the next pick), and must
// not see 0, or a caller waiting for 0 could stop waiting while the next
// compaction is about to start.
func TestCompactionsInProgressUntilFollowUpsScheduled(t *testing.T) {
	o := smallOptions(vfs.NewMem())
	var d *DB
	var ends, zero atomic.Int64
	o.EventListener = &EventListener{CompactionEnd: func(CompactionInfo) {
		ends.Add(1)
		if d.Metrics().CompactionsInProgress == 0 {
			zero.Add(1)
		}
	}}
	d = mustOpen(t, "/db", o)
	defer d.Close()
	rng := newRand(testSeed(t))
	value := make([]byte, 100)
	for i := range 20_000 {
		key := fmt.Appendf(nil, "k%06d", rng.IntN(50_000))
		if err := d.Set(key, value, NoSync); err != nil {
			t.Fatalf("set %d: %v", i, err)
		}
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	waitCompactions(t, d)
	if ends.Load() < 10 {
		t.Fatalf("only %d compactions: the test checks nothing", ends.Load())
	}
	if n := zero.Load(); n > 0 {
		t.Fatalf("%d of %d CompactionEnd calls saw CompactionsInProgress == 0", n, ends.Load())
	}
	if got := d.Metrics().CompactionsInProgress; got != 0 {
		t.Fatalf("settled DB reports %d compactions in progress", got)
	}
}

// TestCompactConcurrentCalls: DB.Compact calls that run at once, while
// writes go on, never compact the same files (the second manifest edit
// would remove a file the first already removed, and make the DB
// read-only), and every write survives. Five rounds, each on a new DB.
func TestCompactConcurrentCalls(t *testing.T) {
	for range 5 {
		compactConcurrently(t)
		if t.Failed() {
			return
		}
	}
}

func compactConcurrently(t *testing.T) {
	d := mustOpen(t, "/db", smallOptions(vfs.NewMem()))
	defer d.Close()
	var wg sync.WaitGroup
	var done atomic.Bool
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			for !done.Load() {
				if err := d.Compact(context.Background(), nil, nil); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	want := make(map[string]string)
	for i := range 4000 {
		k, v := fmt.Sprintf("k%03d", i%300), fmt.Sprintf("v%05d-%0100d", i, i)
		if err := d.Set([]byte(k), []byte(v), NoSync); err != nil {
			t.Errorf("set %d: %v", i, err)
			break
		}
		want[k] = v
	}
	done.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("compact: %v", err)
	}
	if t.Failed() {
		return
	}
	got := dump(t, d)
	if len(got) != len(want) {
		t.Fatalf("%d keys, want %d", len(got), len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("%s = %q, want %q", k, got[k], v)
		}
	}
}
