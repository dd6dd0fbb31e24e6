// Package cache implements the block cache: a byte-budgeted, sharded
// S3-FIFO cache of decoded (verified and decompressed) SST blocks that many tables
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
// Every cached value is charged cap(value) + EntryOverhead bytes (the
// capacity is the memory its buffer takes: the slot of its size class). Bytes
// held outside the cache on its behalf, such as the index and filter
// blocks of open tables, are charged with Reserve. The cache evicts blocks
// (see shard for the policy) so that cached blocks plus reservations stay within
// Capacity; once reservations alone reach Capacity, nothing is cached.
//
// The cache is split into shards (up to 16, each owning an equal part of
// the budget left after reservations), each two FIFO queues, a ghost set
// and a map guarded by its own mutex. A block lives in the shard chosen by a hash of its key.
//
// # Lifetime of values
//
// Values are reference counted and live outside the Go heap, in buffers
// of internal/manual (see Alloc): the garbage collector neither scans nor
// counts them, so a cache of N bytes costs N bytes of memory, not the up
// to 2N of a heap that grows between collections. The cache holds one
// reference to each value it keeps; every Handle returned by Get or Set
// holds one more. Eviction drops the cache's reference, and the buffer is
// freed for reuse when the last reference goes: a value handed out stays
// valid and unchanged until its Handle is released, even if the cache
// evicts it meanwhile, and not one moment longer. Every Handle must be
// released exactly once, and no slice of its value may be used after
// that. The budget bounds what the cache keeps; values that holders still
// reference after eviction are extra.
//
// Values are immutable: neither the caller of Set nor any reader of a
// value may modify it.
package cache

import (
	"sync/atomic"

	"github.com/tempestdb/tempest/internal/manual"
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

// Get returns the value cached under (id, fileNum, off) and counts the
// hit for eviction. The caller calls Release on the Handle when done.
func (c *Cache) Get(id, fileNum, off uint64) (Handle, bool) {
	k := key{id: id, fileNum: fileNum, off: off}
	v := c.shardFor(k).get(k)
	return Handle{v: v}, v != nil
}

// Alloc returns a buffer of n bytes for a value to be given to Set, with
// unspecified contents. A buffer that does not reach Set is given back
// with Free.
func Alloc(n int) []byte { return manual.New(n) }

// Own returns a Handle to value, a buffer from Alloc, that no cache holds:
// its Release frees value. Readers that bypass the cache use it to keep
// the blocks they read off the heap all the same.
func Own(value []byte) Handle {
	return Handle{v: newRefValue(value)}
}

// Free gives back a buffer from Alloc that was not given to Set.
func Free(b []byte) { manual.Free(b) }

// Set caches value under (id, fileNum, off), replacing any value cached
// there, and returns a Handle to it. value must come from Alloc: Set takes
// it over, and it is freed once the cache and every Handle are done with
// it. A value whose charge exceeds a shard's share of the budget is not
// cached; the Handle is valid all the same (and its Release frees the
// value). The caller must not modify value afterwards.
func (c *Cache) Set(id, fileNum, off uint64, value []byte) Handle {
	k := key{id: id, fileNum: fileNum, off: off}
	v := newRefValue(value) // the returned Handle's reference
	h := k.hash()
	c.shards[h&c.mask].set(k, h, v, c.shardBudget())
	return Handle{v: v}
}

// EvictFile drops every cached block of file fileNum in namespace id. Call
// it when a table is gone for good, so that its blocks stop taking up
// the budget. It walks every shard's list: O(cached blocks).
func (c *Cache) EvictFile(id, fileNum uint64) {
	c.evictWhere(func(k key) bool { return k.id == id && k.fileNum == fileNum })
}

// EvictID drops every cached block of namespace id, as when the DB that
// owns it closes. It walks every shard's list: O(cached blocks).
func (c *Cache) EvictID(id uint64) {
	c.evictWhere(func(k key) bool { return k.id == id })
}

func (c *Cache) evictWhere(drop func(k key) bool) {
	for i := range c.shards {
		c.shards[i].evictWhere(drop)
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

// Handle refers to a value obtained from the cache: it holds one reference
// to it (see the package documentation). The zero Handle holds no value.
type Handle struct {
	v *refValue
}

// Value returns the value, valid until Release. The caller must not modify
// it.
func (h Handle) Value() []byte {
	if h.v == nil {
		return nil
	}
	return h.v.buf
}

// Release drops the Handle's reference. After it, the value must not be
// used. Releasing the zero Handle does nothing.
func (h Handle) Release() {
	if h.v != nil {
		h.v.unref()
	}
}
