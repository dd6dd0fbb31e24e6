// Package memtable implements the in-memory write buffer of Tempest: a
// skiplist of internal keys and values that lives entirely inside one
// fixed-size arena.
//
// # Order
//
// Entries are ordered by Comparer.CompareInternal: user key ascending, then
// trailer descending. Entries with identical internal keys (the same user key
// written twice in one batch, hence with one sequence number) are kept in
// reverse insertion order, so the latest write of a batch is met first.
//
// # Arena
//
// The arena is one []byte of fixed size, 8-byte aligned, allocated in New
// outside the Go heap (internal/manual) and never moved or grown. It is
// freed by Free, which its owner calls once no reader or writer can reach
// the memtable any more, or else when the Memtable becomes unreachable.
// Everything (nodes, keys, values) is carved from it by bumping an offset.
// Offsets are uint32; offset 0 is never allocated and means "no node". The
// arena size is therefore at most MaxArenaSize (just under 4 GiB).
//
//	offset 0        8          8+N          8+2N
//	+---------------+----------+------------+-------------------------------
//	| nil (unused)  | head     | tail       | node|key|value  node|key|value ...
//	+---------------+----------+------------+-------------------------------
//	                  (N = full node size, both sentinels have a full tower)
//
// # Node layout
//
// A node starts on an 8-byte boundary. Its tower is truncated to the node's
// height; the key and value follow the truncated tower directly:
//
//	+0   keyOffset u32   arena offset of the user key
//	+4   keyLen    u32
//	+8   valueLen  u32   the value follows the key
//	+12  height    u32   1..maxHeight
//	+16  trailer   u64   seqnum<<8 | kind
//	+24  prev      u32   level-0 back link (offset of the predecessor)
//	+28  tower     [height]u32  next links, level 0 first
//	+28+4*height   user key (keyLen bytes), then value (valueLen bytes)
//
// The full struct (maxHeight links plus 4 bytes of padding) is 112 bytes on
// every platform.
//
// The head and tail sentinels have the full tower and no key. The head's
// tower links start every level; the tail terminates every level and its
// prev link names the last entry. A node's fields are viewed through a Go
// struct overlay; since the struct is declared with the full tower, every
// node is allocated so that the whole struct lies inside the arena, even
// though only the truncated part belongs to it.
//
// # Insertion
//
// Add finds the splice (the predecessor and successor at every level) by
// descending from the top level, unless the splice left by the previous
// Add already brackets the key at level 0: then it is the key's exact
// splice at every level (see lastSplice), and an ascending load inserts
// with one or two comparisons instead of a descent. Misses back off so
// that random orders do not pay for the check.
//
// # Concurrency
//
// Add takes one writer at a time (the caller serializes it);
// AddConcurrent takes any number at once, but never alongside Add (see
// add_concurrent.go for its compare-and-swap protocol). Readers
// (iterators) run concurrently with the writers without locks. The
// invariants that make this safe:
//
//   - A node's key, value, trailer, height, prev and tower are written
//     before the node is published; publication is an atomic store of its
//     offset into a predecessor's tower. Readers load links atomically, so
//     everything written before the store is visible to them.
//   - Published bytes are never modified, except links (tower entries and
//     prev), which are only written with atomic stores and only read with
//     atomic loads.
//   - Every level is a sorted list at every instant. A node is linked at
//     level 0 first, then upwards; a reader that meets it at any level
//     finds it (or a node before it) at the levels below.
//   - The prev link of a node always names a node that precedes it in the
//     list. After a node X is linked at level 0, its successor's prev link is
//     switched to X; until then a reader walking backwards skips X, which is
//     allowed: an entry added after an iterator was positioned may or may
//     not be seen.
//   - The list height only grows; readers start from the height they load,
//     which never exceeds the levels that are linked from the head.
//
// Size and Count are atomic counters that readers may poll at any time.
package memtable
