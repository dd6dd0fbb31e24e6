package memtable

import (
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"unsafe"

	"github.com/tempestdb/tempest/internal/base"
)

// ErrArenaFull is returned by Add when the entry does not fit in the arena.
// The memtable is unchanged.
var ErrArenaFull = errors.New("memtable: arena full")

// Memtable is a skiplist of internal keys and values in a fixed arena. Add
// must be serialized by the caller; iterators and the size accessors may be
// used concurrently with Add and with each other.
type Memtable struct {
	cmp    *base.Comparer
	arena  arena
	filter prefixFilter // in the arena's buffer

	// head and tail are the sentinels (offsets and overlays).
	head, tail         uint32
	headNode, tailNode *node

	// height is the number of levels in use (1..maxHeight). It only grows.
	height atomic.Uint32
	// count is the number of entries added.
	count atomic.Int64

	// rng draws tower heights. Writer only.
	rng *rand.Rand
	// last is the splice of the latest Add, advanced past the new node:
	// the exact splice of a key just after it (see findSpliceFromLast).
	// Writer only.
	last lastSplice
	// spliceStale is set by AddConcurrent: the next Add drops last.
	spliceStale atomic.Bool
}

// Free gives back the arena's memory. Afterwards neither m, nor its
// iterators, nor any key or value slice obtained from them may be used.
// A memtable that is never freed gives its memory back once unreachable.
func (m *Memtable) Free() {
	m.arena.mem.free()
	m.arena.buf, m.filter.words = nil, nil
}

// New returns an empty memtable ordered by cmp whose arena holds arenaSize
// bytes. arenaSize is clamped into [MinArenaSize, MaxArenaSize] and rounded
// down to a multiple of 8; Capacity reports the result. seed drives the
// tower heights, so equal seeds and equal Adds build identical arenas.
func New(cmp *base.Comparer, arenaSize int, seed uint64) *Memtable {
	m := &Memtable{
		cmp: cmp,
		rng: rand.New(rand.NewPCG(seed, seed^0x9E3779B97F4A7C15)),
	}
	size := clampArenaSize(arenaSize)
	m.filter.words = m.arena.init(size, filterWords(size))
	runtime.AddCleanup(m, (*arenaMem).collect, m.arena.mem)
	// The sentinels take full-size nodes right after the nil word; the
	// arena holds them since it is at least MinArenaSize.
	m.head = arenaAlign
	m.tail = m.head + uint32(maxNodeSize)
	m.arena.used.Store(uint64(m.tail) + uint64(maxNodeSize))
	m.headNode, m.tailNode = m.node(m.head), m.node(m.tail)
	m.headNode.height, m.tailNode.height = maxHeight, maxHeight
	for l := 0; l < maxHeight; l++ {
		m.headNode.setNext(l, m.tail)
	}
	m.tailNode.setPrev(m.head)
	m.height.Store(1)
	return m
}

// EntrySize is the worst-case number of arena bytes one entry with the
// given key and value lengths uses: alignment padding, a node with a full
// tower (which includes the trailer), the key and the value. The actual use
// is smaller, since towers are truncated to their random height.
func EntrySize(keyLen, valueLen int) int {
	return arenaAlign - 1 + maxNodeSize + keyLen + valueLen
}

// entrySize is EntrySize computed without risk of int overflow.
func entrySize(keyLen, valueLen int) uint64 {
	return uint64(arenaAlign-1+maxNodeSize) + uint64(keyLen) + uint64(valueLen)
}

// Fits reports whether entries whose EntrySize values sum to n still fit.
// Add of an entry succeeds exactly when Fits(EntrySize(key, value)) is true,
// and a sequence of Adds whose EntrySize values sum to n all succeed when
// Fits(n) is true.
func (m *Memtable) Fits(n int) bool {
	return n >= 0 && m.fits(uint64(n))
}

func (m *Memtable) fits(n uint64) bool {
	return n <= m.arena.capacity()-m.arena.used.Load()
}

// Size is the number of arena bytes in use, including the sentinels.
func (m *Memtable) Size() uint64 { return m.arena.used.Load() }

// Capacity is the arena size in bytes.
func (m *Memtable) Capacity() uint64 { return m.arena.capacity() }

// MayContainPrefix reports whether m may hold an entry whose user key has
// the comparer prefix prefix (Comparer.Prefix). False is definite.
func (m *Memtable) MayContainPrefix(prefix []byte) bool { return m.filter.mayContain(prefix) }

// Footprint is the memory m holds: the arena and its prefix filter.
func (m *Memtable) Footprint() uint64 { return m.arena.capacity() + 8*uint64(len(m.filter.words)) }

// Count is the number of entries added.
func (m *Memtable) Count() int64 { return m.count.Load() }

// Empty reports whether no entry has been added.
func (m *Memtable) Empty() bool { return m.count.Load() == 0 }

// Add inserts key and value, both copied into the arena. An entry whose
// internal key equals an existing one is placed before it, so the latest
// insertion is met first. Add returns ErrArenaFull, changing nothing, when
// Fits(EntrySize(len(key.UserKey), len(value))) is false.
//
// Add must not be called concurrently with itself; it does not allocate.
func (m *Memtable) Add(key base.InternalKey, value []byte) error {
	if !m.fits(entrySize(len(key.UserKey), len(value))) {
		return ErrArenaFull
	}
	h := m.randomHeight()
	kl, vl := uint32(len(key.UserKey)), uint32(len(value))
	off, ok := m.arena.alloc(nodeSize(h)+uint64(kl)+uint64(vl), uint64(maxNodeSize))
	if !ok {
		return ErrArenaFull // unreachable: fits checked the worst case
	}
	nd := m.fillNode(off, h, key, value)
	bits := m.filter.slot(m.cmp.Prefix(key.UserKey))

	if m.spliceStale.Load() {
		m.last = lastSplice{}
		m.spliceStale.Store(false)
	}
	listHeight := m.height.Load()
	sp := &m.last.sp
	if !m.findSpliceFromLast(key, listHeight) {
		m.findSplice(key, listHeight, sp)
	}
	m.filter.set(bits) // before the node is reachable
	for l := listHeight; l < h; l++ {
		sp.prev[l], sp.next[l] = m.head, m.tail
	}

	// Build the node's own links before it becomes reachable.
	for l := 0; l < int(h); l++ {
		nd.setNext(l, sp.next[l])
	}
	nd.setPrev(sp.prev[0])

	// Publish: level 0 first, then the back link, then the express lanes.
	m.node(sp.prev[0]).setNext(0, off)
	m.node(sp.next[0]).setPrev(off)
	for l := 1; l < int(h); l++ {
		m.node(sp.prev[l]).setNext(l, off)
	}
	if h > listHeight {
		m.height.Store(h)
	}
	m.last.advance(off, h, max(h, listHeight))
	m.count.Add(1)
	return nil
}

// fillNode writes the node of height h at off, with key and value
// after its tower, and returns it. The node is not yet reachable.
func (m *Memtable) fillNode(off, h uint32, key base.InternalKey, value []byte) *node {
	kl, vl := uint32(len(key.UserKey)), uint32(len(value))
	nd := m.node(off)
	nd.keyOffset = off + uint32(nodeSize(h))
	nd.keyLen = kl
	nd.valueLen = vl
	nd.height = h
	nd.trailer = key.Trailer
	copy(m.arena.bytes(nd.keyOffset, kl), key.UserKey)
	copy(m.arena.bytes(nd.keyOffset+kl, vl), value)
	return nd
}

// randomHeight draws a tower height: 1 plus a geometric count with
// p = 1/e (growOdds), capped at maxHeight. Writer only.
func (m *Memtable) randomHeight() uint32 {
	h := uint32(1)
	for h < maxHeight && m.rng.Uint64() < growOdds {
		h++
	}
	return h
}

// growOdds is the bound under which a uniform uint64 grows a tower by one
// level: a probability of 1/e. A search examines about 1/p nodes per
// level over log_{1/p}(n) levels, and the nodes of the lowest levels,
// too many to stay in the CPU cache, are where its time goes: at 1/e
// fewer of them are examined per level than at 1/4 (2.7 against 4) for
// a level or so more. BenchmarkAddRandom (64 MiB arena, three alternated
// rounds): 1,897–2,189 ns at 1/4, 1,547–1,792 ns at 1/e.
var growOdds = uint64(float64(math.MaxUint64) / math.E)

// node returns the overlay of the node at off. off must be a node offset
// returned by the arena (so a full struct fits from it).
func (m *Memtable) node(off uint32) *node {
	return (*node)(unsafe.Pointer(&m.arena.buf[off]))
}

// offset is the inverse of node: the arena offset of nd.
func (m *Memtable) offset(nd *node) uint32 {
	return uint32(uintptr(unsafe.Pointer(nd)) - uintptr(unsafe.Pointer(&m.arena.buf[0])))
}

// userKey returns nd's user key, aliasing the arena.
func (m *Memtable) userKey(nd *node) []byte {
	return m.arena.bytes(nd.keyOffset, nd.keyLen)
}

// nodeKey returns nd's internal key; the user key aliases the arena.
func (m *Memtable) nodeKey(nd *node) base.InternalKey {
	return base.InternalKey{UserKey: m.userKey(nd), Trailer: nd.trailer}
}

// value returns nd's value, aliasing the arena.
func (m *Memtable) value(nd *node) []byte {
	return m.arena.bytes(nd.keyOffset+nd.keyLen, nd.valueLen)
}
