package tempest

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/tempestdb/tempest/vfs"
)

// A DB with MaxOpenFiles 16 (six table readers) serves Gets, scans in
// both directions, and an iterator held from start to end, while writers
// rewrite keys and flush, and compactions, automatic and manual, replace
// the files under them (run with -race). Every key always has the same
// value, so every read has one right answer. Once all are done, reading
// every key leaves exactly the capacity open, and after Close no SST is.
func TestMaxOpenFilesConcurrent(t *testing.T) {
	seed := testSeed(t)
	fs := &sstCountingFS{FS: vfs.NewMem()}
	o := smallOptions(fs)
	o.MaxOpenFiles = MinMaxOpenFiles
	o.TargetFileSize = 4096
	o.CacheSize = 64 << 10
	d := mustOpen(t, "/db", o)
	capacity := d.opts.tableCacheSize()
	const keys = 3000
	key := func(i int) []byte { return fmt.Appendf(nil, "key%05d", i) }
	val := func(i int) []byte { return bytes.Repeat(fmt.Appendf(nil, "%05d.", i), 8) }
	for i := range keys {
		if err := d.Set(key(i), val(i), NoSync); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	held, err := d.NewIter(nil) // read at the end, after the churn
	if err != nil {
		t.Fatal(err)
	}

	errs := make(chan error, 16)
	var wg sync.WaitGroup
	for g := range 2 {
		wg.Go(func() {
			rng := newRand(seed + 100 + uint64(g))
			for n := range 1200 {
				i := rng.IntN(keys)
				if err := d.Set(key(i), val(i), NoSync); err != nil {
					errs <- err
					return
				}
				if n%300 == 299 {
					if err := d.Flush(); err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Go(func() {
		for range 2 {
			if err := d.Compact(context.Background(), nil, nil); err != nil {
				errs <- err
				return
			}
		}
	})
	for g := range 3 {
		wg.Go(func() {
			rng := newRand(seed + uint64(g))
			for n := range 1000 {
				if n%100 == 0 {
					lo := rng.IntN(keys - 200)
					if err := checkScan(d, key, val, lo, lo+200, n%200 == 0); err != nil {
						errs <- err
						return
					}
					continue
				}
				i := rng.IntN(keys)
				if got, err := d.Get(key(i)); err != nil || !bytes.Equal(got, val(i)) {
					errs <- fmt.Errorf("get %s = %q, %v", key(i), got, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	n := 0
	for ok := held.First(); ok; ok = held.Next() {
		if !bytes.Equal(held.Key(), key(n)) || !bytes.Equal(held.Value(), val(n)) {
			t.Fatalf("held iterator: %s=%q at %d", held.Key(), held.Value(), n)
		}
		n++
	}
	if err := held.Close(); err != nil || n != keys {
		t.Fatalf("held iterator read %d keys of %d: %v", n, keys, err)
	}
	for i := range keys { // fills the cache
		mustGet(t, d, string(key(i)), string(val(i)))
	}
	m := d.Metrics()
	if m.OpenTables != capacity || m.OpenTables != fs.openSSTs() {
		t.Fatalf("%d tables open (%d SST descriptors) after the reads, want the capacity, %d", m.OpenTables, fs.openSSTs(), capacity)
	}
	if live := liveTables(m); live <= 2*capacity || m.Compactions == 0 {
		t.Fatalf("%d live SSTs, %d compactions: the test needs many more files than readers, and compactions", live, m.Compactions)
	}
	t.Logf("%d live SSTs, %d compactions, %d obsolete deleted, %d open", liveTables(m), m.Compactions, m.ObsoleteTablesDeleted, m.OpenTables)
	mustClose(t, d)
	if n := fs.openSSTs(); n != 0 {
		t.Fatalf("%d SSTs open after Close", n)
	}
}

// checkScan scans [lo, hi) forward or backward and checks that it holds
// every key with its value.
func checkScan(d *DB, key func(int) []byte, val func(int) []byte, lo, hi int, backward bool) error {
	it, err := d.NewIter(&IterOptions{LowerBound: key(lo), UpperBound: key(hi)})
	if err != nil {
		return err
	}
	defer it.Close()
	i, step, ok, next := lo, 1, it.First(), it.Next
	if backward {
		i, step, ok, next = hi-1, -1, it.Last(), it.Prev
	}
	n := 0
	for ; ok; ok = next() {
		if !bytes.Equal(it.Key(), key(i)) || !bytes.Equal(it.Value(), val(i)) {
			return fmt.Errorf("scan of [%d, %d): %s=%q where %s was due", lo, hi, it.Key(), it.Value(), key(i))
		}
		i += step
		n++
	}
	if err := it.Error(); err != nil || n != hi-lo {
		return fmt.Errorf("scan of [%d, %d) read %d keys: %v", lo, hi, n, err)
	}
	return nil
}

// MaxOpenFiles defaults to 1000, lowered to the process's limit minus the
// reserve; the table and blob caches share what the DB's other files
// leave (an eighth, at least 1, to blob readers), the table cache at
// least minTableReaders.
func TestMaxOpenFilesOptions(t *testing.T) {
	want := 1000
	if limit, ok := processFileLimit(); ok {
		want = min(want, max(limit-processFileReserve, MinMaxOpenFiles))
	}
	d := mustOpen(t, "/db", &Options{FS: vfs.NewMem()})
	if got := d.opts.MaxOpenFiles; got != want {
		t.Errorf("default MaxOpenFiles %d, want %d", got, want)
	}
	readers := want - 13 // 8 + 2 compactions, and 1 + 2 blob outputs
	if got, blobs := d.tables.capacity, d.blobs.capacity; got != readers-readers/8 || blobs != readers/8 {
		t.Errorf("table cache of %d and blob cache of %d, want %d and %d", got, blobs, readers-readers/8, readers/8)
	}
	mustClose(t, d)
	for _, tc := range []struct{ files, compactions, readers, blobs int }{
		{MinMaxOpenFiles, 2, minTableReaders, 1},
		{100, 4, 73, 10},
		{MinMaxOpenFiles, 10, minTableReaders, 1},
	} {
		o := &Options{MaxOpenFiles: tc.files, MaxConcurrentCompactions: tc.compactions}
		o, err := o.ensureDefaults()
		if err != nil {
			t.Fatal(err)
		}
		if got, blobs := o.tableCacheSize(), o.blobCacheSize(); got != tc.readers || blobs != tc.blobs {
			t.Errorf("MaxOpenFiles %d, %d compactions: %d table and %d blob readers, want %d and %d",
				tc.files, tc.compactions, got, blobs, tc.readers, tc.blobs)
		}
	}
}

// liveTables is the number of SSTs in the LSM.
func liveTables(m Metrics) int {
	n := 0
	for _, l := range m.Levels {
		n += l.Files
	}
	return n
}
