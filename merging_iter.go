package tempest

import "github.com/tempestdb/tempest/internal/base"

// mergingIter merges child iterators into one stream in internal-key
// order, in either direction. Children are ordered newest first; on equal
// internal keys the newer child comes first going forward.
//
// Invariant: when positioned, heap holds exactly the children that are
// positioned, ordered so heap[0] is the current entry (the smallest going
// forward, the largest going backward), and each item's key is its
// child's current key. Caching the key in the item keeps the heap's
// comparisons free of interface calls.
type mergingIter struct {
	cmp   *base.Comparer
	items []mergingItem
	heap  []*mergingItem
	dir   int // +1 forward, -1 backward, 0 unpositioned
	err   error
}

// mergingItem is one child and its current key.
type mergingItem struct {
	iter  base.InternalIterator
	index int // position in children: lower is newer
	key   base.InternalKey
}

func newMergingIter(cmp *base.Comparer, children []base.InternalIterator) *mergingIter {
	m := &mergingIter{}
	m.init(cmp, children)
	return m
}

// init sets m up over children, reusing the slices m had.
func (m *mergingIter) init(cmp *base.Comparer, children []base.InternalIterator) {
	items, heap := m.items[:0], m.heap[:0]
	*m = mergingIter{cmp: cmp}
	for i, c := range children {
		items = append(items, mergingItem{iter: c, index: i})
	}
	m.items, m.heap = items, heap
}

// less orders heap entries for the current direction.
func (m *mergingIter) less(a, b *mergingItem) bool {
	c := m.cmp.CompareInternal(a.key, b.key)
	if c == 0 {
		if m.dir > 0 {
			return a.index < b.index
		}
		return a.index > b.index
	}
	if m.dir > 0 {
		return c < 0
	}
	return c > 0
}

func (m *mergingIter) down(i int) {
	h := m.heap
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		j := l
		if r := l + 1; r < n && m.less(h[r], h[l]) {
			j = r
		}
		if !m.less(h[j], h[i]) {
			return
		}
		h[i], h[j] = h[j], h[i]
		i = j
	}
}

// rebuild positions every child with pos and heapifies the ones that are
// positioned. It returns whether any is.
func (m *mergingIter) rebuild(dir int, pos func(it base.InternalIterator) bool) bool {
	m.dir = dir
	m.heap = m.heap[:0]
	for i := range m.items {
		it := &m.items[i]
		if pos(it.iter) {
			it.key = it.iter.Key()
			m.heap = append(m.heap, it)
		} else if err := it.iter.Error(); err != nil {
			m.err = err
		}
	}
	if m.err != nil {
		m.heap = m.heap[:0]
		return false
	}
	for i := len(m.heap)/2 - 1; i >= 0; i-- {
		m.down(i)
	}
	return len(m.heap) > 0
}

func (m *mergingIter) SeekGE(key base.InternalKey) bool {
	return m.rebuild(+1, func(it base.InternalIterator) bool { return it.SeekGE(key) })
}

func (m *mergingIter) SeekLT(key base.InternalKey) bool {
	return m.rebuild(-1, func(it base.InternalIterator) bool { return it.SeekLT(key) })
}

func (m *mergingIter) First() bool {
	return m.rebuild(+1, func(it base.InternalIterator) bool { return it.First() })
}

func (m *mergingIter) Last() bool {
	return m.rebuild(-1, func(it base.InternalIterator) bool { return it.Last() })
}

func (m *mergingIter) Next() bool {
	if m.err != nil || len(m.heap) == 0 {
		return false
	}
	if m.dir < 0 {
		// Switch direction: position every child after the current key.
		k := m.Key().Clone()
		return m.rebuild(+1, func(it base.InternalIterator) bool {
			ok := it.SeekGE(k)
			for ok && m.cmp.CompareInternal(it.Key(), k) <= 0 {
				ok = it.Next()
			}
			return ok
		})
	}
	top := m.heap[0]
	return m.stepped(top, top.iter.Next())
}

func (m *mergingIter) Prev() bool {
	if m.err != nil || len(m.heap) == 0 {
		return false
	}
	if m.dir > 0 {
		k := m.Key().Clone()
		return m.rebuild(-1, func(it base.InternalIterator) bool { return it.SeekLT(k) })
	}
	top := m.heap[0]
	return m.stepped(top, top.iter.Prev())
}

// stepped restores the heap after the current child top moved; ok is what
// its move returned.
func (m *mergingIter) stepped(top *mergingItem, ok bool) bool {
	if ok {
		top.key = top.iter.Key()
		m.down(0)
		return true
	}
	if err := top.iter.Error(); err != nil {
		m.err = err
		m.heap = m.heap[:0]
		return false
	}
	last := len(m.heap) - 1
	m.heap[0] = m.heap[last]
	m.heap = m.heap[:last]
	if last > 0 {
		m.down(0)
	}
	return last > 0
}

func (m *mergingIter) Key() base.InternalKey { return m.heap[0].key }
func (m *mergingIter) Value() []byte         { return m.heap[0].iter.Value() }
func (m *mergingIter) Error() error          { return m.err }

func (m *mergingIter) Close() error {
	err := m.err
	for i := range m.items {
		if cerr := m.items[i].iter.Close(); err == nil {
			err = cerr
		}
	}
	clear(m.items)
	clear(m.heap[:cap(m.heap)])
	m.items, m.heap = m.items[:0], m.heap[:0]
	return err
}
