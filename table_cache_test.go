package tempest

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/cache"
	"github.com/tempestdb/tempest/internal/manifest"
	"github.com/tempestdb/tempest/vfs"
)

// sstCountingFS counts the SST files open for reading: the descriptors
// a table cache holds. Reading a closed handle fails, as on a real file
// system.
type sstCountingFS struct {
	vfs.FS
	open atomic.Int64
}

func (fs *sstCountingFS) Open(name string) (vfs.File, error) {
	f, err := fs.FS.Open(name)
	if err != nil || !strings.HasSuffix(name, ".sst") {
		return f, err
	}
	fs.open.Add(1)
	return &countedFile{File: f, fs: fs}, nil
}

func (fs *sstCountingFS) openSSTs() int { return int(fs.open.Load()) }

type countedFile struct {
	vfs.File
	fs     *sstCountingFS
	closed atomic.Bool
}

func (f *countedFile) Close() error {
	if !f.closed.Swap(true) {
		f.fs.open.Add(-1)
	}
	return f.File.Close()
}

// testTables are SSTs written by a DB on a MemFS, with what each holds.
type testTables struct {
	fs    vfs.FS
	path  func(n base.FileNum) string
	files []*manifest.FileMetadata
	keys  [][]string // keys[i]: the keys of files[i], in order; the value of k is "v"+k
}

// buildTestTables writes n L0 SSTs of 50 keys each.
func buildTestTables(t *testing.T, n int) *testTables {
	t.Helper()
	mem := vfs.NewMem()
	o := smallOptions(mem)
	o.DisableAutomaticCompactions = true
	d := mustOpen(t, "/db", o)
	tt := &testTables{fs: mem, path: d.sstPath}
	for i := range n {
		var keys []string
		for j := range 50 {
			k := fmt.Sprintf("f%03d-k%03d", i, j)
			mustSet(t, d, k, "v"+k, NoSync)
			keys = append(keys, k)
		}
		if err := d.Flush(); err != nil {
			t.Fatal(err)
		}
		tt.keys = append(tt.keys, keys)
	}
	rs := d.loadReadState()
	l0 := rs.version.Levels[0] // newest first
	for i := len(l0) - 1; i >= 0; i-- {
		tt.files = append(tt.files, l0[i])
	}
	rs.unref()
	mustClose(t, d)
	if len(tt.files) != n {
		t.Fatalf("%d L0 files, want %d", len(tt.files), n)
	}
	return tt
}

// readTable reads every entry of table i through ct and checks them.
func (tt *testTables) readTable(ct *cachedTable, i int) error {
	it := ct.r.NewIter()
	var got []string
	for ok := it.First(); ok; ok = it.Next() {
		k := string(it.Key().UserKey)
		if v := string(it.Value()); v != "v"+k {
			it.Close()
			return fmt.Errorf("file %d: %s=%s", i, k, v)
		}
		got = append(got, k)
	}
	if err := it.Close(); err != nil {
		return fmt.Errorf("file %d: %w", i, err)
	}
	if strings.Join(got, ",") != strings.Join(tt.keys[i], ",") {
		return fmt.Errorf("file %d holds %d keys, want %d", i, len(got), len(tt.keys[i]))
	}
	return nil
}

// checkOpen fails unless exactly want readers are open, by the cache's
// count and by the file system's.
func checkOpen(t *testing.T, c *tableCache, fs *sstCountingFS, want int) {
	t.Helper()
	if n, m := c.openTables(), fs.openSSTs(); n != want || m != want {
		t.Fatalf("%d readers open, %d SST descriptors; want %d", n, m, want)
	}
}

func cachedNums(c *tableCache) map[base.FileNum]bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[base.FileNum]bool)
	for n := range c.mu.tables {
		out[n] = true
	}
	return out
}

// The table cache keeps at most its capacity of readers open while no
// one holds them, closing the least recently used; held readers are never
// closed, and readers over capacity close as soon as they are released.
func TestTableCacheLRU(t *testing.T) {
	const capacity = 4
	tt := buildTestTables(t, 10)
	fs := &sstCountingFS{FS: tt.fs}
	c := newTableCache(fs, DefaultComparer, tt.path, cache.New(1<<20), capacity)

	use := func(i int) {
		t.Helper()
		ct, err := c.get(tt.files[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := tt.readTable(ct, i); err != nil {
			t.Fatal(err)
		}
		ct.release()
	}
	for i := range tt.files {
		use(i)
		checkOpen(t, c, fs, min(i+1, capacity))
	}
	// Files 6-9 are cached; using 6 makes 7 the least recently used.
	use(6)
	use(0)
	if got := cachedNums(c); len(got) != capacity || got[tt.files[7].FileNum] || !got[tt.files[6].FileNum] || !got[tt.files[0].FileNum] {
		t.Fatalf("cached %v: want 6, 8, 9 and 0 (7 was least recently used)", got)
	}

	// Six held readers exceed the capacity; none is closed while held,
	// and each reader over capacity closes when released.
	var held []*cachedTable
	for i := range 6 {
		ct, err := c.get(tt.files[i])
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, ct)
	}
	checkOpen(t, c, fs, 6)
	for i := 6; i < 10; i++ {
		use(i)
		checkOpen(t, c, fs, 6)
	}
	for i, ct := range held {
		if err := tt.readTable(ct, i); err != nil {
			t.Fatalf("held reader: %v", err)
		}
	}
	for i, ct := range held {
		ct.release()
		checkOpen(t, c, fs, max(6-i-1, capacity))
	}
	if err := c.close(); err != nil {
		t.Fatal(err)
	}
	checkOpen(t, c, fs, 0)
	if _, err := c.get(tt.files[0]); !errors.Is(err, ErrClosed) {
		t.Fatalf("get after close: %v", err)
	}
}

// Evicting an obsolete file closes its reader at once if no one holds
// it, else at the last release, and drops its blocks from the block
// cache. A reader closed as least recently used keeps them: reopened, it
// reads them from the cache.
func TestTableCacheEvict(t *testing.T) {
	tt := buildTestTables(t, 4)
	fs := &sstCountingFS{FS: tt.fs}
	bc := cache.New(1 << 20)
	c := newTableCache(fs, DefaultComparer, tt.path, bc, 2)
	defer c.close()
	read := func(i int) *cachedTable {
		t.Helper()
		ct, err := c.get(tt.files[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := tt.readTable(ct, i); err != nil {
			t.Fatal(err)
		}
		return ct
	}

	read(0).release()
	blocks := bc.Metrics().Count
	if blocks == 0 {
		t.Fatal("no block cached")
	}
	read(1).release()
	read(2).release() // closes 0, the least recently used
	if cachedNums(c)[tt.files[0].FileNum] {
		t.Fatal("file 0 still open")
	}
	before := bc.Metrics()
	read(0).release() // reopened: its blocks are still cached
	if m := bc.Metrics(); m.Misses != before.Misses || m.Hits-before.Hits < blocks {
		t.Fatalf("rereading file 0 after its reader closed: %+v, before %+v", m, before)
	}
	checkOpen(t, c, fs, 2)

	// Obsolete and held: stays open and readable until released.
	ct := read(0)
	c.evict(tt.files[0].FileNum)
	checkOpen(t, c, fs, 2)
	if err := tt.readTable(ct, 0); err != nil {
		t.Fatalf("evicted but held: %v", err)
	}
	n := bc.Metrics().Count
	ct.release()
	checkOpen(t, c, fs, 1)
	if m := bc.Metrics().Count; m != n-blocks {
		t.Fatalf("%d blocks cached after the obsolete file's last release, want %d", m, n-blocks)
	}
	// Obsolete and not held: closed at once.
	c.evict(tt.files[2].FileNum)
	checkOpen(t, c, fs, 0)
	// Obsolete, its reader already closed: its blocks go all the same.
	read(1).release()
	read(3).release()
	read(0).release() // closes 1
	n = bc.Metrics().Count
	c.evict(tt.files[1].FileNum)
	if m := bc.Metrics().Count; m >= n {
		t.Fatalf("%d blocks cached after evicting file 1, %d before", m, n)
	}
}

// Closing the cache while a reader is held closes the others at once and
// that one at its release, which drops the blocks it read meanwhile.
func TestTableCacheCloseWhileHeld(t *testing.T) {
	tt := buildTestTables(t, 3)
	fs := &sstCountingFS{FS: tt.fs}
	bc := cache.New(1 << 20)
	c := newTableCache(fs, DefaultComparer, tt.path, bc, 4)
	var held *cachedTable
	for i := range 3 {
		ct, err := c.get(tt.files[i])
		if err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			held = ct
		} else {
			ct.release()
		}
	}
	if err := c.close(); err != nil {
		t.Fatal(err)
	}
	checkOpen(t, c, fs, 1)
	if n := bc.Metrics().Count; n != 0 {
		t.Fatalf("%d blocks cached after close", n)
	}
	if err := tt.readTable(held, 1); err != nil {
		t.Fatal(err)
	}
	if bc.Metrics().Count == 0 {
		t.Fatal("the held reader cached nothing")
	}
	held.release()
	checkOpen(t, c, fs, 0)
	if n := bc.Metrics().Count; n != 0 {
		t.Fatalf("%d blocks cached after the last release", n)
	}
}

// Many goroutines read tables through a cache of 3 while another evicts
// them as obsolete (run with -race). No read fails, so no reader closes
// under its user, and once all are done the cache is within capacity
// and, closed, holds no descriptor.
func TestTableCacheConcurrent(t *testing.T) {
	const capacity = 3
	seed := testSeed(t)
	tt := buildTestTables(t, 12)
	fs := &sstCountingFS{FS: tt.fs}
	c := newTableCache(fs, DefaultComparer, tt.path, cache.New(64<<10), capacity)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	stop := make(chan struct{})
	for g := range 6 {
		wg.Go(func() {
			rng := newRand(seed + uint64(g))
			for range 300 {
				i := rng.IntN(len(tt.files))
				ct, err := c.get(tt.files[i])
				if err != nil {
					errs <- err
					return
				}
				if g%2 == 0 {
					err = tt.readTable(ct, i)
				} else {
					err = pointRead(ct, tt.keys[i][rng.IntN(50)])
				}
				ct.release()
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	evictor := make(chan struct{})
	go func() {
		defer close(evictor)
		rng := newRand(seed ^ 1)
		for {
			select {
			case <-stop:
				return
			default:
			}
			c.evict(tt.files[rng.IntN(len(tt.files))].FileNum)
		}
	}()
	wg.Wait()
	close(stop)
	<-evictor
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := c.openTables(); n > capacity || n != fs.openSSTs() {
		t.Fatalf("%d readers open (%d SST descriptors) after every reader finished; capacity %d", n, fs.openSSTs(), capacity)
	}
	if err := c.close(); err != nil {
		t.Fatal(err)
	}
	checkOpen(t, c, fs, 0)
}

// pointRead finds key in ct's table.
func pointRead(ct *cachedTable, key string) error {
	it := ct.r.NewIter()
	defer it.Close()
	if !it.SeekGE(base.MakeSearchKey([]byte(key), base.SeqNumMax)) || string(it.Key().UserKey) != key || !bytes.Equal(it.Value(), []byte("v"+key)) {
		return fmt.Errorf("point read of %s failed: %v", key, it.Error())
	}
	return it.Error()
}
