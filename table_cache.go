package tempest

import (
	"cmp"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/cache"
	"github.com/tempestdb/tempest/internal/manifest"
	"github.com/tempestdb/tempest/sstable"
	"github.com/tempestdb/tempest/vfs"
)

// tableCache keeps SST readers open, one per file, opened on first use,
// and bounds how many are open: once more than capacity are, it closes
// the least recently used readers that no one holds.
//
// Every use of a reader holds a reference (get, then release): a Get's
// search of one file, an iterator's current file, a compaction's inputs,
// a table check. A reader is closed only once it is out of the cache
// (evicted as least recently used, obsolete, or at close) and its last
// reference is released, so it is never closed under a user. When every
// open reader is held, get still opens the next one, above capacity
// (reads do not fail while the operating system allows more files); the
// cache comes back within capacity as the holders release them.
//
// Invariants: every table in mu.tables is on mu.lru and holds the
// cache's reference (refs >= 1); a table out of mu.tables never returns
// to it; open counts the tables whose refs have not reached 0, in
// mu.tables or not. Closing a reader keeps its blocks in the block cache
// (sstable.Reader.Close under a DB's CacheID): a reopened reader finds
// them. They are evicted when the file becomes obsolete and, for the
// whole DB, when the cache closes.
type tableCache struct {
	fs       vfs.FS
	cmp      *base.Comparer
	path     func(base.FileNum) string
	cache    *cache.Cache
	cacheID  uint64 // this DB's namespace in a shared block cache
	capacity int    // readers kept open when no one holds them

	open atomic.Int64 // readers open now

	mu struct {
		sync.Mutex
		tables map[base.FileNum]*cachedTable
		lru    cachedTable // sentinel: lru.next is the most recently used
		closed bool
	}
}

// cachedTable is one open reader and its references.
type cachedTable struct {
	r    *sstable.Reader
	c    *tableCache
	num  base.FileNum
	refs atomic.Int32 // the cache's, while in c.mu.tables, plus one per user
	// obsolete is set, before the cache drops its reference, when the
	// file is gone for good or the DB closes: the last release then
	// evicts its blocks.
	obsolete bool
	// prev and next link the LRU list; guarded by c.mu.
	prev, next *cachedTable
}

func newTableCache(fs vfs.FS, cmp *base.Comparer, path func(base.FileNum) string, bc *cache.Cache, capacity int) *tableCache {
	c := &tableCache{fs: fs, cmp: cmp, path: path, cache: bc, cacheID: bc.NewID(), capacity: max(capacity, 1)}
	c.mu.tables = make(map[base.FileNum]*cachedTable)
	c.mu.lru.prev, c.mu.lru.next = &c.mu.lru, &c.mu.lru
	return c
}

// get returns the table of meta's file, opening its reader if needed,
// with a reference the caller gives back with release once done with the
// reader and every iterator over it. Opening checks the footer, the index
// and filter checksums, and the file size recorded in the manifest.
func (c *tableCache) get(meta *manifest.FileMetadata) (*cachedTable, error) {
	c.mu.Lock()
	if c.mu.closed {
		c.mu.Unlock()
		return nil, ErrClosed
	}
	if t, ok := c.mu.tables[meta.FileNum]; ok {
		t.refs.Add(1)
		c.unlinkLocked(t)
		c.pushFrontLocked(t)
		c.mu.Unlock()
		return t, nil
	}
	r, err := c.openLocked(meta)
	if err != nil {
		c.mu.Unlock()
		return nil, err
	}
	t := &cachedTable{r: r, c: c, num: meta.FileNum}
	t.refs.Store(2) // the cache's and the caller's
	c.mu.tables[meta.FileNum] = t
	c.pushFrontLocked(t)
	c.open.Add(1)
	victims := c.trimLocked()
	c.mu.Unlock()
	closeTables(victims)
	return t, nil
}

// openLocked opens the reader of one file.
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
		// An ingested file is read at the seqnum it was ingested at.
		GlobalSeqNum: meta.GlobalSeq,
	})
	if err != nil {
		return nil, err // Open closed f
	}
	return checkTableIdentity(r, meta, name, c.cmp)
}

// release gives back a reference from get. The last one closes a table
// the cache has dropped; releasing the last user's lets the cache close
// the table if it holds more than its capacity.
func (t *cachedTable) release() {
	switch t.refs.Add(-1) {
	case 0:
		t.c.open.Add(-1)
		t.close()
	case 1:
		if t.c.open.Load() > int64(t.c.capacity) {
			t.c.trim()
		}
	}
}

// close closes the reader, whose last reference is gone.
func (t *cachedTable) close() error {
	err := t.r.Close()
	if t.obsolete {
		t.c.cache.EvictFile(t.c.cacheID, uint64(t.num))
	}
	return err
}

// trim closes least recently used tables that no one holds until at most
// capacity readers are open.
func (c *tableCache) trim() {
	c.mu.Lock()
	victims := c.trimLocked()
	c.mu.Unlock()
	closeTables(victims)
}

// trimLocked drops from the cache least recently used tables that no one
// holds until at most capacity readers are open, and returns them for the
// caller to close after unlocking. A table whose refs is 1 holds only the
// cache's reference, and no one can take another without c.mu.
func (c *tableCache) trimLocked() []*cachedTable {
	var victims []*cachedTable
	for t := c.mu.lru.prev; t != &c.mu.lru && c.open.Load() > int64(c.capacity); {
		prev := t.prev
		if t.refs.Load() == 1 {
			c.dropLocked(t)
			t.refs.Add(-1)
			c.open.Add(-1)
			victims = append(victims, t)
		}
		t = prev
	}
	return victims
}

// evict drops the table of num, whose file became obsolete: its reader
// closes now, or when its last user releases it, and its blocks leave the
// block cache.
func (c *tableCache) evict(num base.FileNum) {
	c.mu.Lock()
	t, ok := c.mu.tables[num]
	if ok {
		c.dropLocked(t)
		t.obsolete = true
	}
	c.mu.Unlock()
	if !ok {
		c.cache.EvictFile(c.cacheID, uint64(num)) // from readers closed earlier
		return
	}
	t.release() // the cache's reference
}

// close drops every table. Readers no one holds close now (in file-number
// order, so that a deterministic run stays deterministic); a reader still
// in use closes when released, and evicts the blocks it read meanwhile.
// The DB's blocks leave the block cache.
func (c *tableCache) close() error {
	c.mu.Lock()
	c.mu.closed = true
	var victims []*cachedTable
	for _, t := range c.mu.tables {
		c.dropLocked(t)
		t.obsolete = true // for a holder's last release
		if t.refs.Add(-1) == 0 {
			c.open.Add(-1)
			t.obsolete = false // EvictID below drops its blocks
			victims = append(victims, t)
		}
	}
	c.mu.Unlock()
	slices.SortFunc(victims, func(a, b *cachedTable) int { return cmp.Compare(a.num, b.num) })
	err := closeTables(victims)
	c.cache.EvictID(c.cacheID)
	return err
}

// openTables returns the number of readers open now.
func (c *tableCache) openTables() int { return int(c.open.Load()) }

// dropLocked takes t out of the cache; the caller drops its reference.
func (c *tableCache) dropLocked(t *cachedTable) {
	delete(c.mu.tables, t.num)
	c.unlinkLocked(t)
}

func (c *tableCache) pushFrontLocked(t *cachedTable) {
	t.prev, t.next = &c.mu.lru, c.mu.lru.next
	t.prev.next, t.next.prev = t, t
}

func (c *tableCache) unlinkLocked(t *cachedTable) {
	t.prev.next, t.next.prev = t.next, t.prev
	t.prev, t.next = nil, nil
}

// closeTables closes tables whose last reference is gone and returns the
// first error.
func closeTables(ts []*cachedTable) error {
	var err error
	for _, t := range ts {
		if cerr := t.close(); err == nil {
			err = cerr
		}
	}
	return err
}
