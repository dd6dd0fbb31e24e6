package tempest

import (
	"container/list"
	"errors"
	"os"
	"sync"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/blob"
	"github.com/tempestdb/tempest/vfs"
)

// blobCache keeps blob file readers open, one per file, opened on first
// use, and closes the least recently used ones no read holds once more
// than capacity are open. Its capacity is taken from the descriptors
// MaxOpenFiles leaves to readers (blobCacheSize), so table and blob
// readers together stay within the bound. Values are not cached: a blob
// read is one positional read of one block, and the memory it uses is
// the value returned.
//
// Invariants: every reader in mu.readers is on mu.lru and holds the
// cache's reference; a reader out of mu.readers never returns to it; a
// reader closes when its last reference goes.
type blobCache struct {
	fs       vfs.FS
	path     func(base.FileNum) string
	size     func(base.FileNum) (uint64, bool) // the manifest's record
	capacity int

	mu struct {
		sync.Mutex
		readers map[base.FileNum]*cachedBlob
		lru     *list.List // of *cachedBlob, most recently used first
		closed  bool
	}
}

// cachedBlob is one open blob reader and its references, guarded by the
// cache's mutex.
type cachedBlob struct {
	r    *blob.Reader
	c    *blobCache
	num  base.FileNum
	refs int
	elem *list.Element
}

func newBlobCache(fs vfs.FS, path func(base.FileNum) string, size func(base.FileNum) (uint64, bool), capacity int) *blobCache {
	c := &blobCache{fs: fs, path: path, size: size, capacity: max(capacity, 1)}
	c.mu.readers = make(map[base.FileNum]*cachedBlob)
	c.mu.lru = list.New()
	return c
}

// read returns the value the encoded handle h names, appended to dst.
// Errors match ErrCorruption and name the blob file, or ErrClosed.
func (c *blobCache) read(h []byte, dst []byte) ([]byte, error) {
	handle, err := blob.DecodeHandle(h, "blob handle")
	if err != nil {
		return nil, err
	}
	b, err := c.get(handle.FileNum)
	if err != nil {
		return nil, err
	}
	defer b.release()
	return b.r.Read(handle, dst)
}

// get returns the reader of blob file num with a reference.
func (c *blobCache) get(num base.FileNum) (*cachedBlob, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mu.closed {
		return nil, ErrClosed
	}
	if b, ok := c.mu.readers[num]; ok {
		b.refs++
		c.mu.lru.MoveToFront(b.elem)
		return b, nil
	}
	r, err := c.open(num)
	if err != nil {
		return nil, err
	}
	b := &cachedBlob{r: r, c: c, num: num, refs: 2} // the cache's and the caller's
	b.elem = c.mu.lru.PushFront(b)
	c.mu.readers[num] = b
	c.trimLocked()
	return b, nil
}

// open opens blob file num. A missing file is corruption: a live handle
// names it.
func (c *blobCache) open(num base.FileNum) (*blob.Reader, error) {
	name := c.path(num)
	f, err := c.fs.Open(name)
	if errors.Is(err, os.ErrNotExist) {
		return nil, base.Corruptionf(name, 0, "blob file is missing: %v", err)
	}
	if err != nil {
		return nil, err
	}
	size, ok := c.size(num)
	if !ok {
		// No longer in the manifest (a reader of an older version): the
		// footer still proves the file whole.
		s, err := f.Size()
		if err != nil {
			f.Close()
			return nil, err
		}
		size = uint64(s)
	}
	return blob.Open(f, name, size)
}

// release gives back a reference from get.
func (b *cachedBlob) release() {
	c := b.c
	c.mu.Lock()
	b.refs--
	last := b.refs == 0
	c.mu.Unlock()
	if last {
		b.r.Close()
	}
}

// trimLocked drops least recently used readers no one holds while more
// than capacity are open.
func (c *blobCache) trimLocked() {
	for e := c.mu.lru.Back(); e != nil && len(c.mu.readers) > c.capacity; {
		prev := e.Prev()
		if b := e.Value.(*cachedBlob); b.refs == 1 {
			c.dropLocked(b)
		}
		e = prev
	}
}

// dropLocked removes b from the cache and gives back the cache's
// reference, closing b if no one holds it.
func (c *blobCache) dropLocked(b *cachedBlob) {
	delete(c.mu.readers, b.num)
	c.mu.lru.Remove(b.elem)
	b.refs--
	if b.refs == 0 {
		b.r.Close()
	}
}

// evict drops the reader of num, whose file is obsolete.
func (c *blobCache) evict(num base.FileNum) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if b, ok := c.mu.readers[num]; ok {
		c.dropLocked(b)
	}
}

// close drops every reader; one in use closes when released.
func (c *blobCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mu.closed = true
	for _, b := range c.mu.readers {
		c.dropLocked(b)
	}
}
