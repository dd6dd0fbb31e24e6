package tempest

import (
	"maps"
	"slices"
	"sync"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/cache"
	"github.com/tempestdb/tempest/internal/manifest"
	"github.com/tempestdb/tempest/sstable"
	"github.com/tempestdb/tempest/vfs"
)

// tableCache keeps SST readers open, one per file, opened on first use.
type tableCache struct {
	fs      vfs.FS
	cmp     *base.Comparer
	path    func(base.FileNum) string
	cache   *cache.Cache
	cacheID uint64 // this DB's namespace in a shared block cache

	mu struct {
		sync.Mutex
		readers map[base.FileNum]*sstable.Reader
		closed  bool
	}
}

func newTableCache(fs vfs.FS, cmp *base.Comparer, path func(base.FileNum) string, bc *cache.Cache) *tableCache {
	c := &tableCache{fs: fs, cmp: cmp, path: path, cache: bc, cacheID: bc.NewID()}
	c.mu.readers = make(map[base.FileNum]*sstable.Reader)
	return c
}

// get returns the reader of meta's file, opening it if needed. Opening
// checks the footer, the index and filter checksums, and the file size
// recorded in the manifest.
func (c *tableCache) get(meta *manifest.FileMetadata) (*sstable.Reader, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mu.closed {
		return nil, ErrClosed
	}
	if r, ok := c.mu.readers[meta.FileNum]; ok {
		return r, nil
	}
	r, err := c.openLocked(meta)
	if err != nil {
		return nil, err
	}
	c.mu.readers[meta.FileNum] = r
	return r, nil
}

func (c *tableCache) openLocked(meta *manifest.FileMetadata) (*sstable.Reader, error) {
	name := c.path(meta.FileNum)
	f, err := c.fs.Open(name)
	if err != nil {
		return nil, err
	}
	size, err := f.Size()
	if err != nil {
		f.Close()
		return nil, err
	}
	if uint64(size) != meta.Size {
		f.Close()
		return nil, base.Corruptionf(name, -1, "size %d differs from %d recorded in the manifest", size, meta.Size)
	}
	r, err := sstable.Open(f, size, sstable.ReaderOptions{
		Comparer: c.cmp,
		FileName: name,
		Cache:    c.cache,
		CacheID:  c.cacheID,
		FileNum:  uint64(meta.FileNum),
	})
	if err != nil {
		return nil, err // Open closed f
	}
	return checkTableIdentity(r, meta, name, c.cmp)
}

// evict closes and forgets the reader of num (its file became obsolete).
func (c *tableCache) evict(num base.FileNum) {
	c.mu.Lock()
	r, ok := c.mu.readers[num]
	delete(c.mu.readers, num)
	c.mu.Unlock()
	if ok {
		r.Close()
	}
}

// close closes every reader.
func (c *tableCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mu.closed = true
	var err error
	// In file-number order, so that a deterministic run stays deterministic.
	for _, num := range slices.Sorted(maps.Keys(c.mu.readers)) {
		if cerr := c.mu.readers[num].Close(); err == nil {
			err = cerr
		}
		delete(c.mu.readers, num)
	}
	return err
}
