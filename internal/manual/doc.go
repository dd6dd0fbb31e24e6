// Package manual allocates byte buffers whose lifetime the caller manages:
// New hands out a buffer, Free gives it back for reuse. The block cache
// keeps its decoded blocks in such buffers, so that they stay out of the
// garbage-collected heap: the collector neither scans nor counts them, the
// heap does not grow to twice their size between collections, and a block
// read does not allocate garbage.
//
// # Contract
//
// A buffer from New has len n and unspecified contents (it may hold
// another buffer's old bytes); NewZeroed's are zero. After Free(b),
// neither b nor any slice of it may be used: its memory may already belong
// to another buffer. Each buffer is freed exactly once, with the slice New
// returned (same start and capacity; the length may differ).
//
// # Implementations
//
// On Unix (slab_unix.go), buffers of up to maxSlabSize bytes come from
// 1 MiB chunks mapped with mmap and carved into slots of one size class
// (classes.go: sixteen classes per power of two, so a slot wastes at most
// 6.25% of its size); a chunk whose slots are all free is unmapped, so
// memory goes back to the system when the cache shrinks. Larger buffers
// are mapped on their own and unmapped by Free (none is kept for reuse:
// it would stay resident outside the memory budget), and NewZeroed does
// not clear a fresh mapping, which the kernel zeroed. Those
// of 2 MiB or more start on a 2 MiB boundary and, on Linux, are advised
// for transparent huge pages (hugepage_linux.go): a skiplist search in a
// 64 MiB arena touches pages at random, and with 4 KiB pages most of
// its steps missed the TLB. The
// memory is never scanned by the garbage collector, so buffers must not
// hold Go pointers (byte data only).
//
// Elsewhere, and in builds with the invariants tag (heap.go), buffers are
// ordinary heap allocations; with invariants, Free overwrites the buffer
// with poisonByte so that a use after Free reads garbage that checksums,
// key order checks and the tests' oracles notice, instead of reading the
// old bytes by luck.
package manual

// poisonByte fills freed buffers in invariants builds.
//
//lint:ignore U1000 used by heap.go, which only some builds compile
const poisonByte = 0xdb
