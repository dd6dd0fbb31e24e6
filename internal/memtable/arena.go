package memtable

import (
	"sync/atomic"
	"unsafe"

	"github.com/tempestdb/tempest/internal/manual"
)

const (
	// arenaAlign is the alignment of the arena base and of every node.
	arenaAlign = 8

	// MaxArenaSize is the largest arena: every offset, including the end
	// of the last full node struct, must fit in a uint32.
	MaxArenaSize uint64 = 1<<32 - arenaAlign

	// MinArenaSize is the smallest arena: the nil word and the two
	// sentinels. Such an arena holds no entry.
	MinArenaSize = arenaAlign + 2*maxNodeSize
)

// arena is a bump allocator over one fixed, 8-byte aligned buffer. Only the
// writer allocates; used is atomic so that readers can report Size.
//
// The buffer is manually managed memory (internal/manual), outside the Go
// heap: it is given back by Memtable.Free, or, for a memtable dropped
// without Free, when the garbage collector finds the Memtable unreachable.
type arena struct {
	buf  []byte
	used atomic.Uint64 // bytes handed out, including alignment padding
	mem  *arenaMem
}

// arenaMem owns the arena's buffer; it is apart from the Memtable so that
// the cleanup of an unreachable Memtable can free it.
type arenaMem struct {
	buf   []byte
	freed atomic.Bool
}

func (am *arenaMem) free() { am.freeWith(manual.Free) }

// collect is the cleanup of an unreachable Memtable.
func (am *arenaMem) collect() { am.freeWith(manual.FreeUnreachable) }

// freeWith frees the buffer with free, the first time only.
func (am *arenaMem) freeWith(free func([]byte)) {
	if !am.freed.Swap(true) {
		free(am.buf)
	}
}

// clampArenaSize maps a requested size into [MinArenaSize, MaxArenaSize],
// rounded down to a multiple of arenaAlign.
func clampArenaSize(n int) uint64 {
	var size uint64
	switch {
	case n < MinArenaSize:
		size = uint64(MinArenaSize)
	case uint64(n) > MaxArenaSize:
		size = MaxArenaSize
	default:
		size = uint64(n)
	}
	return size &^ (arenaAlign - 1)
}

// init allocates size bytes (a multiple of arenaAlign, at most
// MaxArenaSize). Buffers from manual are 8-byte aligned: page-aligned
// mappings, slots of 32-byte multiples in aligned chunks, or heap objects
// of at least 16 bytes. Offset 0 is reserved as nil.
//
// Only the first MinArenaSize bytes (the nil word and the sentinels) are
// zeroed. The rest need not be: Add writes every byte of a node that is
// ever read (its fields, prev, and its tower below its height) and the
// key and value before the node is reachable. Clearing a reused buffer
// (arenas below manual's large size come from its slabs) would touch all
// of it at once, on the commit path, when the memtable rotates (invariants builds fill new buffers with garbage, so
// the tests catch a read of an unwritten byte).
//
// The same buffer holds extraWords zeroed words after the arena, returned
// as tail: the memtable's prefix filter, freed with the arena.
func (a *arena) init(size, extraWords uint64) (tail []uint64) {
	a.mem = &arenaMem{buf: manual.New(int(size + 8*extraWords))}
	buf := a.mem.buf
	if uintptr(unsafe.Pointer(unsafe.SliceData(buf)))%arenaAlign != 0 {
		// Not expected; a []uint64 on the heap is aligned everywhere.
		a.mem.free()
		words := make([]uint64, size/arenaAlign+extraWords)
		buf = unsafe.Slice((*byte)(unsafe.Pointer(&words[0])), len(words)*arenaAlign)
	}
	a.buf = buf[:size:size]
	clear(a.buf[:min(size, uint64(MinArenaSize))])
	if extraWords > 0 {
		tail = unsafe.Slice((*uint64)(unsafe.Pointer(&buf[size])), extraWords)
		clear(tail)
	}
	a.used.Store(arenaAlign)
	return tail
}

// capacity is the arena size in bytes.
func (a *arena) capacity() uint64 { return uint64(len(a.buf)) }

// alloc reserves size bytes at an arenaAlign boundary and returns their
// offset. It also requires that a full node struct (overlay bytes) fits
// from that offset, so that viewing the allocation as a *node never
// reaches past the buffer. ok is false, with nothing reserved, when the
// arena cannot satisfy the request. Writer only.
func (a *arena) alloc(size, overlay uint64) (off uint32, ok bool) {
	start := (a.used.Load() + arenaAlign - 1) &^ (arenaAlign - 1)
	if start+max(size, overlay) > a.capacity() {
		return 0, false
	}
	a.used.Store(start + size)
	return uint32(start), true
}

// allocShared is alloc for several goroutines at once: the offset is
// advanced with a compare-and-swap.
func (a *arena) allocShared(size, overlay uint64) (off uint32, ok bool) {
	for {
		used := a.used.Load()
		start := (used + arenaAlign - 1) &^ (arenaAlign - 1)
		if start+max(size, overlay) > a.capacity() {
			return 0, false
		}
		if a.used.CompareAndSwap(used, start+size) {
			return uint32(start), true
		}
	}
}

// bytes returns n bytes at off, with capacity limited to n so that an
// append by a reader cannot clobber the arena.
func (a *arena) bytes(off, n uint32) []byte {
	return a.buf[off : off+n : off+n]
}
