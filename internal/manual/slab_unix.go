//go:build unix && !invariants

package manual

import (
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// chunkSize is the size of a slab chunk, and its alignment: the chunk of a
// slot is found by masking the slot's address.
const chunkSize = 1 << 20

// chunk is one mapped, chunkSize-aligned region carved into slots of one
// class. free lists its free slots by index.
//
// Invariant (with its class's mu held): len(free) + live == slots, and
// the chunk is in its class's partial list exactly when len(free) > 0.
type chunk struct {
	base    uintptr
	buf     []byte // the aligned chunkSize bytes at base
	mem     []byte // the mapping, as returned by mmap (not aligned)
	slot    int    // slot size
	slots   int    // number of slots
	live    int
	free    []int32
	partial int // index in the class's partial list, or -1
}

// class is the state of one size class.
type class struct {
	mu struct {
		sync.Mutex
		partial []*chunk // chunks with a free slot
	}
}

var (
	classes = make([]class, numClasses)

	// chunks maps a chunk's aligned base address to the chunk.
	chunksMu sync.RWMutex
	chunks   = map[uintptr]*chunk{}
	largeMu  sync.Mutex
)

// New returns a buffer of n bytes, or nil when n <= 0. When the system
// refuses memory, the buffer comes from the heap instead (Free tells the
// two apart).
func New(n int) []byte {
	switch {
	case n <= 0:
		return nil
	case n > maxSlabSize:
		return newLarge(n)
	}
	c := classOf(n)
	b := classes[c].alloc(classSize(c))
	if b == nil {
		return make([]byte, n)
	}
	return b[:n]
}

// NewZeroed is New with every byte zero.
func NewZeroed(n int) []byte {
	if n > maxSlabSize {
		return newLarge(n) // a fresh mapping, zeroed by the kernel
	}
	b := New(n)
	clear(b)
	return b
}

// FreeUnreachable is Free for a buffer nothing can reach any more (called
// from a cleanup).
func FreeUnreachable(b []byte) { Free(b) }

// Free gives b back.
func Free(b []byte) {
	if cap(b) == 0 {
		return
	}
	addr := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	if cap(b) > maxSlabSize {
		freeLarge(addr)
		return
	}
	chunksMu.RLock()
	ch := chunks[addr&^(chunkSize-1)]
	chunksMu.RUnlock()
	if ch == nil {
		return // a heap fallback: the collector frees it
	}
	classes[classOf(ch.slot)].release(ch, int32((addr-ch.base)/uintptr(ch.slot)))
}

func (cl *class) alloc(slot int) []byte {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if len(cl.mu.partial) == 0 {
		ch := mapChunk(slot)
		if ch == nil {
			return nil
		}
		ch.partial = len(cl.mu.partial)
		cl.mu.partial = append(cl.mu.partial, ch)
	}
	ch := cl.mu.partial[len(cl.mu.partial)-1]
	i := ch.free[len(ch.free)-1]
	ch.free = ch.free[:len(ch.free)-1]
	ch.live++
	if len(ch.free) == 0 {
		cl.removePartialLocked(ch)
	}
	off := int(i) * slot
	return ch.buf[off : off+slot : off+slot]
}

func (cl *class) release(ch *chunk, i int32) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	ch.free = append(ch.free, i)
	ch.live--
	if len(ch.free) == 1 {
		ch.partial = len(cl.mu.partial)
		cl.mu.partial = append(cl.mu.partial, ch)
	}
	// Unmap a chunk that is wholly free, unless it is the class's only
	// chunk with free slots: keeping one avoids mapping and unmapping on
	// every alloc/free pair at the edge of a chunk.
	if ch.live == 0 && len(cl.mu.partial) > 1 {
		cl.removePartialLocked(ch)
		unmapChunk(ch)
	}
}

// removePartialLocked takes ch out of the partial list.
func (cl *class) removePartialLocked(ch *chunk) {
	last := cl.mu.partial[len(cl.mu.partial)-1]
	cl.mu.partial[ch.partial] = last
	last.partial = ch.partial
	cl.mu.partial = cl.mu.partial[:len(cl.mu.partial)-1]
	ch.partial = -1
}

// mapChunk maps a chunk of slots of the given size, or returns nil if the
// system refuses. Mapping twice the size and keeping the aligned middle
// is how the chunk gets its alignment.
func mapChunk(slot int) *chunk {
	mem, err := syscall.Mmap(-1, 0, 2*chunkSize, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return nil
	}
	start := uintptr(unsafe.Pointer(unsafe.SliceData(mem)))
	base := (start + chunkSize - 1) &^ (chunkSize - 1)
	n := chunkSize / slot
	skip := int(base - start)
	ch := &chunk{base: base, buf: mem[skip : skip+chunkSize], mem: mem, slot: slot, slots: n,
		free: make([]int32, n), partial: -1}
	for i := range ch.free {
		ch.free[i] = int32(n - 1 - i) // hand out low addresses first
	}
	chunksMu.Lock()
	chunks[base] = ch
	chunksMu.Unlock()
	return ch
}

func unmapChunk(ch *chunk) {
	chunksMu.Lock()
	delete(chunks, ch.base)
	chunksMu.Unlock()
	_ = syscall.Munmap(ch.mem) // failure leaks the mapping; nothing refers to it
}

// largeBuf is a buffer mapped alone: buf, the buffer handed out, is the
// start of a mapping of size bytes (len(buf) rounded up to the page size).
type largeBuf struct {
	buf  []byte
	size uintptr
}

// large maps the start of each live large buffer to it; guarded by
// largeMu.
var large = map[uintptr]largeBuf{}

// newLarge returns a buffer of n bytes mapped alone (or from the heap if
// the system refuses); both come zeroed. Freed large buffers are not kept
// for reuse: a spare memtable arena would stay resident outside the
// memory budget (64 MiB at the default size), for a saving that measured
// at 0 to 10% of a load's throughput (docs/decisions.md).
func newLarge(n int) []byte {
	lb, ok := mapLarge(n)
	if !ok {
		return make([]byte, n)
	}
	largeMu.Lock()
	large[uintptr(unsafe.Pointer(unsafe.SliceData(lb.buf)))] = lb
	largeMu.Unlock()
	return lb.buf
}

// mapLarge maps a buffer of n bytes. A buffer of at least hugePageSize
// bytes starts on a huge-page boundary: it is cut out of a mapping
// hugePageSize larger, whose ends before and after it are unmapped at
// once, and its whole huge pages are advised for transparent huge pages.
// A memtable arena, which skiplist searches walk at random, then needs
// one TLB entry per 2 MiB instead of one per 4 KiB page. Only whole huge
// pages are advised: the kernel would back a partial one at the end with
// 2 MiB, all resident once the arena is zeroed. (Nothing else stays
// mapped next to the buffer for a kernel that uses huge pages everywhere
// to fill such a page from.)
func mapLarge(n int) (largeBuf, bool) {
	page := uintptr(syscall.Getpagesize())
	size := (uintptr(n) + page - 1) &^ (page - 1)
	extra := uintptr(0)
	if n >= hugePageSize {
		extra = hugePageSize
	}
	if size+extra < size {
		return largeBuf{}, false // overflows the address space
	}
	p, err := unix.MmapPtr(-1, 0, nil, size+extra, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		return largeBuf{}, false
	}
	skip := uintptr(0)
	if extra > 0 {
		start := uintptr(p)
		skip = (start+hugePageSize-1)&^(hugePageSize-1) - start
		// Failures leave address space mapped that nothing touches.
		if skip > 0 {
			_ = unix.MunmapPtr(p, skip)
		}
		if tail := extra - skip; tail > 0 {
			_ = unix.MunmapPtr(unsafe.Add(p, skip+size), tail)
		}
	}
	buf := unsafe.Slice((*byte)(unsafe.Add(p, skip)), n)
	if extra > 0 {
		adviseHugePages(buf[:n&^(hugePageSize-1)])
	}
	return largeBuf{buf: buf, size: size}, true
}

func freeLarge(addr uintptr) {
	largeMu.Lock()
	lb, ok := large[addr]
	delete(large, addr)
	largeMu.Unlock()
	if ok {
		// Failure leaks the mapping; nothing refers to it.
		_ = unix.MunmapPtr(unsafe.Pointer(unsafe.SliceData(lb.buf)), lb.size)
	}
}
