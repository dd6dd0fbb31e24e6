package base

// InternalIterator iterates over internal keys in internal-key order (user
// key ascending by Comparer.Compare, then trailer descending). Memtables,
// sstables and the merging iterator implement it.
//
// Contract:
//   - Positioning methods return true iff the iterator is positioned at an
//     entry afterwards; Key and Value are then valid until the next
//     positioning call. The returned slices must not be modified, and may
//     alias internal buffers.
//   - SeekGE(k) positions at the first entry >= k; SeekLT(k) at the last
//     entry < k (both in internal-key order).
//   - Next/Prev may be called after any successful positioning, in either
//     direction. Next after exhausting forward, or Prev after exhausting
//     backward, returns false; the iterator must then be repositioned with a
//     seek, First or Last.
//   - When a positioning method returns false, Error reports whether it
//     stopped because of an error (for example a corrupt block) rather than
//     the end of the data.
//   - Close releases resources and returns the first error met, if any.
type InternalIterator interface {
	SeekGE(key InternalKey) bool
	SeekLT(key InternalKey) bool
	First() bool
	Last() bool
	Next() bool
	Prev() bool
	Key() InternalKey
	Value() []byte
	Error() error
	Close() error
}
