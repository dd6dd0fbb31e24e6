package tempest

import (
	"github.com/tempestdb/tempest/internal/cache"
)

// Cache is a block cache with a byte budget. One Cache can be shared by
// several DBs (pass it in Options.Cache); each DB's blocks are kept apart.
// Decoded data blocks live in it, and the index and filter blocks of open
// tables are charged against its budget.
type Cache struct {
	c *cache.Cache
}

// NewCache returns a cache holding at most size bytes.
func NewCache(size int64) *Cache { return &Cache{c: cache.New(size)} }

// CacheMetrics reports a cache's use.
type CacheMetrics struct {
	Capacity, Size int64 // bytes
	// Reserved is the part of Size charged for memory held outside the
	// cache: open tables' index and filter blocks, and memtables under
	// Options.MemoryBudget.
	Reserved     int64
	Count        int64 // blocks cached
	Hits, Misses int64
}

// Metrics returns the cache's counters.
func (c *Cache) Metrics() CacheMetrics {
	m := c.c.Metrics()
	return CacheMetrics{Capacity: m.Capacity, Size: m.Size, Reserved: m.Reserved, Count: m.Count, Hits: m.Hits, Misses: m.Misses}
}
