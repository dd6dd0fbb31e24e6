package memtable

import (
	"sync/atomic"
	"unsafe"
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
type arena struct {
	buf  []byte
	used atomic.Uint64 // bytes handed out, including alignment padding
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
// MaxArenaSize). The buffer is backed by []uint64 so that its base is
// 8-byte aligned on every platform. Offset 0 is reserved as nil.
func (a *arena) init(size uint64) {
	words := make([]uint64, size/arenaAlign)
	a.buf = unsafe.Slice((*byte)(unsafe.Pointer(&words[0])), len(words)*arenaAlign)
	a.used.Store(arenaAlign)
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

// bytes returns n bytes at off, with capacity limited to n so that an
// append by a reader cannot clobber the arena.
func (a *arena) bytes(off, n uint32) []byte {
	return a.buf[off : off+n : off+n]
}
