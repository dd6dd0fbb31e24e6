package memtable

import "fmt"

// checkInvariants walks the whole structure single-threadedly and verifies
// every level is sorted, every node at level l>0 is also on the level
// below, prev links mirror level 0, and Count matches.
func (m *Memtable) checkInvariants() error {
	// Level 0: sorted, prev links consistent.
	var n int64
	prev := m.headNode
	for off := m.headNode.next(0); off != m.tail; off = m.node(off).next(0) {
		nd := m.node(off)
		if nd.prevOff() != m.offset(prev) {
			return fmt.Errorf("node %d: prev %d, want %d", off, nd.prevOff(), m.offset(prev))
		}
		if nd.height < 1 || nd.height > maxHeight {
			return fmt.Errorf("node %d: height %d", off, nd.height)
		}
		if nd.height > m.height.Load() {
			return fmt.Errorf("node %d: height %d above list height %d", off, nd.height, m.height.Load())
		}
		if prev != m.headNode && m.compareNodes(prev, nd) > 0 {
			return fmt.Errorf("level 0 out of order at node %d", off)
		}
		prev = nd
		n++
	}
	if m.tailNode.prevOff() != m.offset(prev) {
		return fmt.Errorf("tail prev %d, want %d", m.tailNode.prevOff(), m.offset(prev))
	}
	if n != m.Count() {
		return fmt.Errorf("level 0 holds %d nodes, Count is %d", n, m.Count())
	}
	// Higher levels: each is a sorted subsequence of the level below, made
	// of exactly the nodes tall enough.
	for l := 1; l < maxHeight; l++ {
		below := m.headNode.next(l - 1)
		for off := m.headNode.next(l); off != m.tail; off = m.node(off).next(l) {
			for below != off {
				if below == m.tail {
					return fmt.Errorf("level %d: node %d missing from level %d", l, off, l-1)
				}
				if int(m.node(below).height) > l {
					return fmt.Errorf("level %d: node %d of height %d skipped", l, below, m.node(below).height)
				}
				below = m.node(below).next(l - 1)
			}
			below = m.node(below).next(l - 1)
		}
		for ; below != m.tail; below = m.node(below).next(l - 1) {
			if int(m.node(below).height) > l {
				return fmt.Errorf("level %d: trailing node %d of height %d skipped", l, below, m.node(below).height)
			}
		}
		if uint32(l) >= m.height.Load() && m.headNode.next(l) != m.tail {
			return fmt.Errorf("level %d above list height %d is not empty", l, m.height.Load())
		}
	}
	return nil
}

func (m *Memtable) compareNodes(a, b *node) int {
	return m.compareNode(m.nodeKey(a), b)
}
