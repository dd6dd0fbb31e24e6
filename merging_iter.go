package tempest

import "github.com/tempestdb/tempest/internal/base"

// mergingIter merges child iterators into one stream in internal-key
// order, in either direction. Children are ordered newest first; on equal
// internal keys the newer child comes first going forward.
//
// Invariant: when positioned, heap holds exactly the children that are
// positioned, ordered so heap[0] is the current entry (the smallest going
// forward, the largest going backward).
type mergingIter struct {
	cmp      *base.Comparer
	children []base.InternalIterator
	heap     []int // indices into children
	dir      int   // +1 forward, -1 backward, 0 unpositioned
	err      error
}

func newMergingIter(cmp *base.Comparer, children []base.InternalIterator) *mergingIter {
	return &mergingIter{cmp: cmp, children: children, heap: make([]int, 0, len(children))}
}

// less orders heap entries for the current direction.
func (m *mergingIter) less(i, j int) bool {
	a, b := m.heap[i], m.heap[j]
	c := m.cmp.CompareInternal(m.children[a].Key(), m.children[b].Key())
	if c == 0 {
		if m.dir > 0 {
			return a < b
		}
		return a > b
	}
	if m.dir > 0 {
		return c < 0
	}
	return c > 0
}

func (m *mergingIter) up(j int) {
	for j > 0 {
		i := (j - 1) / 2
		if !m.less(j, i) {
			break
		}
		m.heap[i], m.heap[j] = m.heap[j], m.heap[i]
		j = i
	}
}

func (m *mergingIter) down(i int) {
	n := len(m.heap)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		j := l
		if r := l + 1; r < n && m.less(r, l) {
			j = r
		}
		if !m.less(j, i) {
			return
		}
		m.heap[i], m.heap[j] = m.heap[j], m.heap[i]
		i = j
	}
}

// rebuild positions every child with pos and heapifies the ones that are
// positioned. It returns whether any is.
func (m *mergingIter) rebuild(dir int, pos func(it base.InternalIterator) bool) bool {
	m.dir = dir
	m.heap = m.heap[:0]
	for i, c := range m.children {
		if pos(c) {
			m.heap = append(m.heap, i)
		} else if err := c.Error(); err != nil {
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
	return m.step(func(it base.InternalIterator) bool { return it.Next() })
}

func (m *mergingIter) Prev() bool {
	if m.err != nil || len(m.heap) == 0 {
		return false
	}
	if m.dir > 0 {
		k := m.Key().Clone()
		return m.rebuild(-1, func(it base.InternalIterator) bool { return it.SeekLT(k) })
	}
	return m.step(func(it base.InternalIterator) bool { return it.Prev() })
}

// step advances the current child and restores the heap.
func (m *mergingIter) step(move func(it base.InternalIterator) bool) bool {
	c := m.children[m.heap[0]]
	if move(c) {
		m.down(0)
		return true
	}
	if err := c.Error(); err != nil {
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

func (m *mergingIter) Key() base.InternalKey { return m.children[m.heap[0]].Key() }
func (m *mergingIter) Value() []byte         { return m.children[m.heap[0]].Value() }
func (m *mergingIter) Error() error          { return m.err }

func (m *mergingIter) Close() error {
	err := m.err
	for _, c := range m.children {
		if cerr := c.Close(); err == nil {
			err = cerr
		}
	}
	m.children = nil
	m.heap = nil
	return err
}
