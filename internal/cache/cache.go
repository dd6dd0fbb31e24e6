// Package cache implements the block cache: a byte-budgeted, sharded LRU
// cache of decoded (verified and decompressed) SST blocks that many tables
// and many DBs can share.
//
// # Keys
//
// A block is named by (id, file number, block offset). The id is a
// namespace obtained from NewID, one per DB or per table reader, so that
// two DBs sharing a cache never see each other's blocks even when their
// file numbers collide. Within one id, a (file number, offset) pair must
// always name the same bytes: SST files are immutable and file numbers are
// never reused.
//
// # Budget
//
// Every cached value is charged len(value) + EntryOverhead bytes. Bytes
// held outside the cache on its behalf, such as the index and filter
// blocks of open tables, are charged with Reserve. The cache evicts least
// recently used blocks so that cached blocks plus reservations stay within
// Capacity; once reservations alone reach Capacity, nothing is cached.
//
// The cache is split into shards (up to 16, each owning an equal part of
// the budget left after reservations), each an LRU list and a map guarded
// by its own mutex. A block lives in the shard chosen by a hash of its key.
//
// # Lifetime of values
//
// Values live on the Go heap and are never reused or overwritten by the
// cache. A value handed out stays valid and unchanged for as long as the
// holder references it, even if the cache evicts it meanwhile: eviction
// only drops the cache's reference, and the garbage collector frees the
// bytes once the last holder is done. The budget therefore bounds what
// the cache keeps alive, not what iterators still hold after eviction.
// Handle.Release marks the end of a holder's use and does nothing else;
// holders pair every Handle with a Release all the same, so that the
// discipline needed by reference-counted buffers is already in place.
//
// Values are immutable: neither the caller of Set nor any reader of a
// value may modify it.
package cache

import (
	"sync/atomic"
)

// EntryOverhead is the number of bytes charged per cached value on top of
// its length: an estimate of the entry, map slot and list links.
const EntryOverhead = 96

const (
	// maxShards is the number of shards of a large cache.
	maxShards = 16
	// minShardCapacity is the smallest share of the capacity a shard gets
	// when the cache is small: a small cache uses fewer shards so that
	// each can still hold a useful number of blocks.
	minShardCapacity = 1 << 20
)

// Cache is a block cache. It is safe for concurrent use.
type Cache struct {
	capacity int64
	reserved atomic.Int64 // bytes charged by Reserve
	nextID   atomic.Uint64
	shards   []shard
	mask     uint64 // len(shards)-1; len(shards) is a power of two
}

// New returns a cache that keeps at most capacity bytes. A capacity <= 0
// gives a cache that keeps nothing: every Get misses.
func New(capacity int64) *Cache {
	capacity = max(capacity, 0)
	n := 1
	for n < maxShards && capacity/int64(2*n) >= minShardCapacity {
		n *= 2
	}
	c := &Cache{capacity: capacity, shards: make([]shard, n), mask: uint64(n - 1)}
	for i := range c.shards {
		c.shards[i].init()
	}
	return c
}

// NewID returns a namespace for keys that no other call returns. IDs are
// never 0, so 0 can mean "none" in option structs.
func (c *Cache) NewID() uint64 { return c.nextID.Add(1) }

// Capacity returns the byte budget given to New.
func (c *Cache) Capacity() int64 { return c.capacity }

// Size returns the bytes charged against the capacity: cached values (with
// EntryOverhead each) plus reservations.
func (c *Cache) Size() int64 {
	n := c.reserved.Load()
	for i := range c.shards {
		n += c.shards[i].size()
	}
	return n
}

// shardBudget returns the bytes each shard may hold now.
func (c *Cache) shardBudget() int64 {
	return max(c.capacity-c.reserved.Load(), 0) / int64(len(c.shards))
}

// shardFor returns the shard of k.
func (c *Cache) shardFor(k key) *shard {
	return &c.shards[k.hash()&c.mask]
}

// Get returns the value cached under (id, fileNum, off) and marks it most
// recently used. The caller calls Release on the Handle when done.
func (c *Cache) Get(id, fileNum, off uint64) (Handle, bool) {
	k := key{id: id, fileNum: fileNum, off: off}
	v, ok := c.shardFor(k).get(k)
	return Handle{value: v}, ok
}

// Set caches value under (id, fileNum, off), replacing any value cached
// there, and returns a Handle to it. A value whose charge exceeds a shard's
// share of the budget is not cached; the Handle is valid all the same. The
// cache keeps value: the caller must not modify it afterwards.
func (c *Cache) Set(id, fileNum, off uint64, value []byte) Handle {
	k := key{id: id, fileNum: fileNum, off: off}
	c.shardFor(k).set(k, value, c.shardBudget())
	return Handle{value: value}
}

// EvictFile drops every cached block of file fileNum in namespace id. Call
// it when a table is closed for good, so that its blocks stop taking up
// the budget.
func (c *Cache) EvictFile(id, fileNum uint64) {
	fk := fileKey{id: id, fileNum: fileNum}
	for i := range c.shards {
		c.shards[i].evictFile(fk)
	}
}

// Reserve charges n bytes held elsewhere against the capacity, evicting
// blocks to make room, and returns the function that gives them back.
// That function is safe to call more than once; only the first call has
// an effect. Reservations may exceed the capacity; the cache then keeps
// no blocks until enough is given back.
func (c *Cache) Reserve(n int64) (unreserve func()) {
	n = max(n, 0)
	c.reserved.Add(n)
	budget := c.shardBudget()
	for i := range c.shards {
		c.shards[i].trim(budget)
	}
	var done atomic.Bool
	return func() {
		if !done.Swap(true) {
			c.reserved.Add(-n)
		}
	}
}

// Metrics describe a cache at one moment.
type Metrics struct {
	// Capacity is the byte budget.
	Capacity int64
	// Size is the bytes charged: BlockBytes plus Reserved.
	Size int64
	// BlockBytes is the charge of the cached values, EntryOverhead
	// included; Reserved the bytes charged by Reserve.
	BlockBytes, Reserved int64
	// Count is the number of cached values.
	Count int64
	// Hits and Misses count Get calls that found a value and that did
	// not.
	Hits, Misses int64
	// Evictions counts values dropped to stay within the budget (not
	// those dropped by EvictFile or replaced by Set).
	Evictions int64
}

// Metrics returns the cache's current metrics. The shards are read one
// after the other, so under concurrent use the figures are approximate.
func (c *Cache) Metrics() Metrics {
	m := Metrics{Capacity: c.capacity, Reserved: c.reserved.Load()}
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		m.BlockBytes += s.mu.size
		m.Count += int64(len(s.mu.entries))
		s.mu.Unlock()
		m.Hits += s.hits.Load()
		m.Misses += s.misses.Load()
		m.Evictions += s.evictions.Load()
	}
	m.Size = m.BlockBytes + m.Reserved
	return m
}

// Handle refers to a value obtained from the cache. The value stays valid
// for as long as the holder keeps it, even after eviction (see the package
// documentation). The zero Handle holds no value.
type Handle struct {
	value []byte
}

// Value returns the value. The caller must not modify it.
func (h Handle) Value() []byte { return h.value }

// Release ends the holder's use of the value. Values are garbage
// collected, so Release has nothing to free; calling it is still part of
// the contract of Get and Set. Releasing the zero Handle is allowed.
func (h Handle) Release() {}
