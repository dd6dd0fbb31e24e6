package tempest

import (
	"container/list"
	"errors"
	"os"
	"sync"
	"sync/atomic"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/blob"
	"github.com/tempestdb/tempest/internal/cache"
	"github.com/tempestdb/tempest/vfs"
)

// blobCache keeps blob file readers open, one per file, opened on first
// use, and closes the least recently used ones no read holds once more
// than capacity are open. Its capacity is taken from the descriptors
// MaxOpenFiles leaves to readers (blobCacheSize), so table and blob
// readers together stay within the bound.
//
// The values that iterators ask for twice are kept in the block cache,
// verified and decoded (see blob_read.go, and admit), under the
// table cache's namespace and the blob file's number (blob files and
// SSTs share one sequence of numbers) and the block's offset. They leave
// it when the file becomes obsolete, or by the cache's eviction. Get
// finds them there but adds none (readCached). Compactions, blob
// rewriting and checks read around it (read).
//
// Invariants: every reader in mu.readers is on mu.lru and holds the
// cache's reference; a reader out of mu.readers never returns to it; a
// reader closes when its last reference goes, and if it was marked
// obsolete then, the file's values leave the block cache.
type blobCache struct {
	fs       vfs.FS
	path     func(base.FileNum) string
	size     func(base.FileNum) (uint64, bool) // the manifest's record
	capacity int
	block    *cache.Cache
	blockID  uint64 // the DB's namespace in block
	// seen remembers values missed once (admit).
	seen [1 << blobSeenBits]atomic.Uint64

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
	// obsolete is set when the file is gone for good or the DB closes:
	// the last release then evicts the file's values from the block
	// cache, which a read still holding the reader may have added.
	obsolete bool
}

// blobSeenBits sizes blobCache.seen: 16,384 slots, 128 KiB.
const blobSeenBits = 14

// newBlobCache returns a cache of capacity readers whose values are kept
// in block under namespace blockID.
func newBlobCache(fs vfs.FS, path func(base.FileNum) string, size func(base.FileNum) (uint64, bool), capacity int,
	block *cache.Cache, blockID uint64) *blobCache {
	c := &blobCache{fs: fs, path: path, size: size, capacity: max(capacity, 1), block: block, blockID: blockID}
	c.mu.readers = make(map[base.FileNum]*cachedBlob)
	c.mu.lru = list.New()
	return c
}

// read returns the value the encoded handle h names, appended to dst,
// read from its blob file without the block cache (for compactions,
// blob rewriting and checks, which would push out what reads use).
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

// readCached is read through the block cache (value): the value is
// appended to dst. A miss is read past the cache and never admitted:
// point reads (Get) of values read once would fill the cache's memory,
// page faults included, for nothing, and a value read again is still in
// the page cache; what iterators admitted, Get finds.
func (c *blobCache) readCached(h []byte, dst []byte) ([]byte, error) {
	v, ch, err := c.value(h, dst, false)
	if err != nil || ch == (cache.Handle{}) {
		return v, err // read into dst, or failed
	}
	dst = append(dst, v...)
	ch.Release()
	return dst, nil
}

// value returns the value the encoded handle h names and a Handle that
// keeps it valid until released: the block cache's copy, or, on a miss,
// the value read from its blob file (its block's checksum verified) into
// a buffer that is then added to the cache, if mayCache and the value
// was asked for before (admit). A value not admitted is read into dst
// (appended) and not cached: the Handle is then the zero Handle. Errors
// match ErrCorruption and name the blob file, or ErrClosed.
func (c *blobCache) value(h []byte, dst []byte, mayCache bool) ([]byte, cache.Handle, error) {
	handle, err := blob.DecodeHandle(h, "blob handle")
	if err != nil {
		return nil, cache.Handle{}, err
	}
	if ch, ok := c.block.Get(c.blockID, uint64(handle.FileNum), handle.Offset); ok {
		return ch.Value(), ch, nil
	}
	b, err := c.get(handle.FileNum)
	if err != nil {
		return nil, cache.Handle{}, err
	}
	defer b.release() // after Set: an obsolete file's last release evicts what Set adds
	if !mayCache || !c.admit(handle.FileNum, handle.Offset) {
		v, err := b.r.Read(handle, dst)
		return v, cache.Handle{}, err
	}
	var buf []byte
	v, err := b.r.ReadAlloc(handle, func(n int) []byte {
		buf = cache.Alloc(n)
		return buf
	})
	if err != nil {
		if buf != nil {
			cache.Free(buf)
		}
		return nil, cache.Handle{}, err
	}
	ch := c.block.Set(c.blockID, uint64(handle.FileNum), handle.Offset, v)
	return ch.Value(), ch, nil
}

// admit reports whether the value at off in blob file num was missed
// before, recently: a value is cached on its second miss. A first read
// costs what an uncached read costs (filling the cache's memory for a
// value read once is most of a cold read's time, page faults included),
// and a value read again goes to the cache. seen remembers one key per
// slot; a collision forgets the older one, so a value may need a third
// miss.
func (c *blobCache) admit(num base.FileNum, off uint64) bool {
	k := uint64(num)<<40 ^ off ^ 1 // never 0, the empty slot
	h := k * 0x9E3779B97F4A7C15
	slot := &c.seen[h>>(64-blobSeenBits)]
	if slot.Load() == k {
		return true
	}
	slot.Store(k)
	return false
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
	obsolete := b.obsolete
	c.mu.Unlock()
	if !last {
		return
	}
	if obsolete {
		c.block.EvictFile(c.blockID, uint64(b.num))
	}
	b.r.Close()
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
// reference, closing b if no one holds it, which it reports.
func (c *blobCache) dropLocked(b *cachedBlob) (closed bool) {
	delete(c.mu.readers, b.num)
	c.mu.lru.Remove(b.elem)
	b.refs--
	if b.refs == 0 {
		b.r.Close()
		return true
	}
	return false
}

// evict drops the reader of num, whose file is obsolete, and its values
// in the block cache: now, or when the last read holding the reader
// releases it.
func (c *blobCache) evict(num base.FileNum) {
	c.mu.Lock()
	b, held := c.mu.readers[num]
	if held {
		b.obsolete = true
		held = !c.dropLocked(b)
	}
	c.mu.Unlock()
	if !held {
		c.block.EvictFile(c.blockID, uint64(num))
	}
}

// close drops every reader; one in use closes when released, and then
// evicts the values it read (the table cache's close evicts the rest of
// the DB's namespace).
func (c *blobCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mu.closed = true
	for _, b := range c.mu.readers {
		b.obsolete = b.refs > 1
		c.dropLocked(b)
	}
}
