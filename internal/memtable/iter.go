package memtable

import "github.com/tempestdb/tempest/internal/base"

// Iter iterates over a memtable in internal-key order. It implements
// base.InternalIterator. Key().UserKey and Value() alias the arena: they
// stay valid (and unchanged) for the life of the memtable, but must not be
// modified.
//
// An Iter may run concurrently with Add; entries added after it was
// positioned may or may not be seen. An Iter itself is not safe for
// concurrent use.
//
// The Iter rests on a sentinel when it is not positioned on an entry: the
// head (before First, after Prev ran off the front, after Close) or the tail
// (after Next ran off the end). Next from the head behaves like First, and
// Prev from the tail like Last.
type Iter struct {
	m   *Memtable
	nd  *node
	key base.InternalKey
}

var _ base.InternalIterator = (*Iter)(nil)

// NewIter returns an unpositioned iterator.
func (m *Memtable) NewIter() *Iter {
	return &Iter{m: m, nd: m.headNode}
}

// InitIter makes it an unpositioned iterator over m, as NewIter returns,
// for callers that reuse one iterator value.
func (m *Memtable) InitIter(it *Iter) {
	*it = Iter{m: m, nd: m.headNode}
}

// set positions the iterator at nd and reports whether nd is an entry.
func (it *Iter) set(nd *node) bool {
	it.nd = nd
	if nd == it.m.headNode || nd == it.m.tailNode {
		it.key = base.InternalKey{}
		return false
	}
	it.key = it.m.nodeKey(nd)
	return true
}

// SeekGE positions at the first entry >= key.
func (it *Iter) SeekGE(key base.InternalKey) bool {
	_, next := it.m.seek(key)
	return it.set(next)
}

// SeekLT positions at the last entry < key.
func (it *Iter) SeekLT(key base.InternalKey) bool {
	prev, _ := it.m.seek(key)
	return it.set(prev)
}

// First positions at the first entry.
func (it *Iter) First() bool {
	return it.set(it.m.node(it.m.headNode.next(0)))
}

// Last positions at the last entry.
func (it *Iter) Last() bool {
	return it.set(it.m.node(it.m.tailNode.prevOff()))
}

// Next moves to the following entry.
func (it *Iter) Next() bool {
	if it.nd == it.m.tailNode {
		return false
	}
	return it.set(it.m.node(it.nd.next(0)))
}

// Prev moves to the preceding entry.
func (it *Iter) Prev() bool {
	if it.nd == it.m.headNode {
		return false
	}
	return it.set(it.m.node(it.nd.prevOff()))
}

// Key returns the current internal key, or the zero key when the iterator
// is not positioned on an entry.
func (it *Iter) Key() base.InternalKey { return it.key }

// Value returns the current value, or nil when the iterator is not
// positioned on an entry.
func (it *Iter) Value() []byte {
	if it.nd == it.m.headNode || it.nd == it.m.tailNode {
		return nil
	}
	return it.m.value(it.nd)
}

// Error is always nil: a memtable iterator cannot fail.
func (it *Iter) Error() error { return nil }

// Close unpositions the iterator. It holds no resources; the arena belongs
// to the memtable. The iterator may be repositioned after Close.
func (it *Iter) Close() error {
	it.set(it.m.headNode)
	return nil
}
