package sstable

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/cache"
)

// openCached opens f through bc and closes the Reader when the test ends.
func openCached(t testing.TB, f *memFile, bc *cache.Cache, id, fileNum uint64) *Reader {
	t.Helper()
	r, err := Open(f, int64(len(f.data)), ReaderOptions{
		Comparer: base.DefaultComparer, FileName: testFileName, Cache: bc, CacheID: id, FileNum: fileNum,
	})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func TestCacheServesSecondScan(t *testing.T) {
	for _, c := range compressions {
		t.Run(c.String(), func(t *testing.T) {
			entries := compressibleEntries(1000)
			f, m := buildTable(t, WriterOptions{BlockSize: 512, Compression: c}, entries)
			bc := cache.New(64 << 20)
			r, err := Open(f, int64(m.Size), ReaderOptions{Comparer: base.DefaultComparer, Cache: bc})
			if err != nil {
				t.Fatal(err)
			}
			blocks := int64(len(r.index))
			if m := bc.Metrics(); m.Reserved < int64(len(r.filter.bits)) || m.Count != 0 {
				t.Fatalf("after Open: %+v", m)
			}
			requireEntries(t, r.cmp, scanForward(t, r), entries)
			if m := bc.Metrics(); m.Misses != blocks || m.Hits != 0 || m.Count != blocks {
				t.Fatalf("first scan of %d blocks: %+v", blocks, m)
			}
			requireEntries(t, r.cmp, scanBackward(t, r), reversed(entries))
			if m := bc.Metrics(); m.Misses != blocks || m.Hits != blocks {
				t.Fatalf("second scan of %d blocks: %+v", blocks, m)
			}
			// The file is not read again: a failing file goes unnoticed.
			f.mu.Lock()
			f.failRead = errors.New("injected")
			f.mu.Unlock()
			requireEntries(t, r.cmp, scanForward(t, r), entries)
			// VerifyChecksums bypasses the cache.
			if err := r.VerifyChecksums(); err == nil {
				t.Fatal("VerifyChecksums did not read the file")
			}
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			if m := bc.Metrics(); m.Count != 0 || m.Reserved != 0 || m.Size != 0 {
				t.Fatalf("after Close: %+v", m)
			}
		})
	}
}

// Two tables in one cache: Readers with CacheID 0 get namespaces of their
// own, and Readers sharing a CacheID are told apart by FileNum.
func TestCacheSharedByTables(t *testing.T) {
	a := numbered(500)
	b := make([]kv, len(a))
	for i, e := range a {
		b[i] = kv{e.key, append([]byte("other "), e.value...)}
	}
	fa, _ := buildTable(t, WriterOptions{BlockSize: 256, Compression: SnappyCompression}, a)
	fb, _ := buildTable(t, WriterOptions{BlockSize: 256, Compression: SnappyCompression}, b)
	bc := cache.New(64 << 20)
	id := bc.NewID()
	for _, tc := range []struct {
		name   string
		ra, rb *Reader
	}{
		{"own IDs", openCached(t, fa.reopen(), bc, 0, 0), openCached(t, fb.reopen(), bc, 0, 0)},
		{"shared ID", openCached(t, fa.reopen(), bc, id, 1), openCached(t, fb.reopen(), bc, id, 2)},
	} {
		for range 2 {
			requireEntries(t, base.DefaultComparer, scanForward(t, tc.ra), a)
			requireEntries(t, base.DefaultComparer, scanForward(t, tc.rb), b)
		}
		if m := bc.Metrics(); m.Hits == 0 {
			t.Fatalf("%s: %+v", tc.name, m)
		}
	}
	// Closing a Reader with a namespace of its own drops its blocks only.
	before := bc.Metrics().Count
	r := openCached(t, fa.reopen(), bc, 0, 0)
	scanForward(t, r)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if n := bc.Metrics().Count; n != before {
		t.Fatalf("%d blocks cached after Close, %d before Open", n, before)
	}
	// Under the caller's CacheID the blocks outlive the Reader: a new
	// Reader of the same FileNum hits them, until the caller evicts them.
	r = openCached(t, fa.reopen(), bc, id, 3)
	scanForward(t, r)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	after := bc.Metrics()
	if after.Count <= before {
		t.Fatalf("%d blocks cached after Close under a shared ID, %d before Open", after.Count, before)
	}
	requireEntries(t, base.DefaultComparer, scanForward(t, openCached(t, fa.reopen(), bc, id, 3)), a)
	if m := bc.Metrics(); m.Misses != after.Misses || m.Hits <= after.Hits {
		t.Fatalf("reopened Reader: %+v, after the first Reader: %+v; want hits only", m, after)
	}
	bc.EvictFile(id, 3)
	if n := bc.Metrics().Count; n != before {
		t.Fatalf("%d blocks cached after EvictFile, %d before", n, before)
	}
}

// A block handed to an iterator stays valid after the cache evicts it.
func TestCacheEvictionUnderIterator(t *testing.T) {
	entries := compressibleEntries(2000)
	f, _ := buildTable(t, WriterOptions{BlockSize: 1024, Compression: ZstdCompression}, entries)
	bc := cache.New(64 << 10) // a third of the blocks at most
	r := openCached(t, f, bc, 0, 0)
	it := r.NewIter()
	defer it.Close()
	if !it.SeekGE(entries[1000].key) {
		t.Fatal(it.Error())
	}
	requireEntries(t, r.cmp, scanForward(t, r), entries) // evicts every block
	if m := bc.Metrics(); m.Evictions == 0 {
		t.Fatalf("nothing evicted: %+v", m)
	}
	got := collect(it, true, it.Next)
	requireEntries(t, r.cmp, got, entries[1000:])
	if err := it.Error(); err != nil {
		t.Fatal(err)
	}
}

// Blocks that fail their checksum or their read are not cached.
func TestCacheKeepsNoBadBlock(t *testing.T) {
	entries := numbered(300)
	good, _ := buildTable(t, WriterOptions{BlockSize: 256, Compression: SnappyCompression}, entries)
	bc := cache.New(1 << 20)
	f := good.reopen()
	f.data[3] ^= 0x40 // in data block 0
	r := openCached(t, f, bc, 0, 0)
	for range 2 {
		it := r.NewIter()
		if it.First() {
			t.Fatal("First succeeded on a corrupt block")
		}
		if err := it.Close(); !errors.Is(err, base.ErrCorruption) {
			t.Fatalf("scan: %v", err)
		}
	}
	if m := bc.Metrics(); m.Count != 0 || m.Misses != 2 {
		t.Fatalf("metrics %+v", m)
	}

	f = good.reopen()
	r = openCached(t, f, bc, 0, 0)
	f.mu.Lock()
	f.failRead = errors.New("injected")
	f.mu.Unlock()
	it := r.NewIter()
	it.First()
	if err := it.Close(); err == nil || errors.Is(err, base.ErrCorruption) {
		t.Fatalf("read error: %v", err)
	}
	if m := bc.Metrics(); m.Count != 0 {
		t.Fatalf("metrics %+v", m)
	}
}

// Many iterators over many Readers share one small cache (run with -race).
func TestCacheConcurrentIterators(t *testing.T) {
	bc := cache.New(128 << 10) // the three indexes take about half
	var readers []*Reader
	var tables [][]kv
	for i := range 3 {
		entries := compressibleEntries(1500)
		for j := range entries {
			entries[j].value = append([]byte(fmt.Sprintf("table %d ", i)), entries[j].value...)
		}
		f, _ := buildTable(t, WriterOptions{BlockSize: 512, Compression: compressions[i]}, entries)
		readers = append(readers, openCached(t, f, bc, 7, uint64(i)))
		tables = append(tables, entries)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, entries := readers[g%3], tables[g%3]
			it := r.NewIter()
			defer it.Close()
			for i := g; i < len(entries); i += 5 {
				if !it.SeekGE(entries[i].key) || !bytes.Equal(it.Value(), entries[i].value) {
					errs <- fmt.Errorf("goroutine %d: SeekGE(%s) failed: %v", g, entries[i].key, it.Error())
					return
				}
				if it.Prev() && !bytes.Equal(it.Value(), entries[i-1].value) {
					errs <- fmt.Errorf("goroutine %d: Prev from %s", g, entries[i].key)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if m := bc.Metrics(); m.Hits == 0 || m.Evictions == 0 || m.Size > m.Capacity {
		t.Fatalf("metrics %+v", m)
	}
}

// A compaction iterator reads every block from the file without adding it
// to the cache, but uses blocks the cache already holds; reused through
// InitIter, the iterator fills the cache again.
func TestCompactionIterDoesNotFillCache(t *testing.T) {
	entries := compressibleEntries(1000)
	f, _ := buildTable(t, WriterOptions{BlockSize: 512, Compression: SnappyCompression}, entries)
	bc := cache.New(64 << 20)
	r := openCached(t, f, bc, bc.NewID(), 1)
	blocks := int64(len(r.index))
	var it Iter
	scan := func() []kv {
		out := collect(&it, it.First(), it.Next)
		if err := it.Close(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	r.InitCompactionIter(&it)
	requireEntries(t, r.cmp, scan(), entries)
	if m := bc.Metrics(); m.Count != 0 || m.Misses != blocks {
		t.Fatalf("after a compaction scan of %d blocks: %+v, want nothing cached", blocks, m)
	}
	r.InitIter(&it)
	requireEntries(t, r.cmp, scan(), entries)
	if m := bc.Metrics(); m.Count != blocks {
		t.Fatalf("after a reader's scan: %+v, want %d blocks cached", m, blocks)
	}
	r.InitCompactionIter(&it)
	requireEntries(t, r.cmp, scan(), entries)
	if m := bc.Metrics(); m.Hits != blocks {
		t.Fatalf("compaction scan over a warm cache: %+v, want %d hits", m, blocks)
	}
}
