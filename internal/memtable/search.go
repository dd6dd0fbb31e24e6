package memtable

import "github.com/tempestdb/tempest/internal/base"

// splice records, for every level, the nodes between which a key belongs:
// prev[l] < key <= next[l] in list order (either may be a sentinel).
type splice struct {
	prev, next [maxHeight]uint32
}

// compareNode compares key with nd's internal key (nd is not a sentinel):
// user key by the Comparer, then seqnum descending; the kind takes no part
// (see base.Comparer.CompareInternal).
func (m *Memtable) compareNode(key base.InternalKey, nd *node) int {
	if c := m.cmp.Compare(key.UserKey, m.userKey(nd)); c != 0 {
		return c
	}
	ks, ns := key.Trailer.SeqNum(), base.Trailer(nd.trailer).SeqNum()
	switch {
	case ks > ns:
		return -1
	case ks < ns:
		return 1
	}
	return 0
}

// seek returns the last node before key and the first node at or after key
// in list order (head and tail stand for "none"). Safe for readers.
func (m *Memtable) seek(key base.InternalKey) (prev, next *node) {
	x, next := m.headNode, m.tailNode
	for l := int(m.height.Load()) - 1; l >= 0; l-- {
		x, next = m.seekLevel(key, x, next, l)
	}
	return x, next
}

// seekLevel walks level l from x (which is before key) and returns the
// last node before key and its successor at that level. bound is a node
// already known to be >= key (the successor found one level up, or the
// tail): reaching it ends the walk without a comparison.
func (m *Memtable) seekLevel(key base.InternalKey, x, bound *node, l int) (prev, next *node) {
	for {
		off := x.next(l)
		if off == m.tail {
			return x, m.tailNode
		}
		nx := m.node(off)
		if nx == bound || m.compareNode(key, nx) <= 0 {
			return x, nx
		}
		x = nx
	}
}

// findSplice fills sp for levels [0, height) so that key would be inserted
// before every entry >= key, in particular before equal internal keys.
// Writer only (the splice is valid until the next Add).
func (m *Memtable) findSplice(key base.InternalKey, height uint32, sp *splice) {
	x, nx := m.headNode, m.tailNode
	for l := int(height) - 1; l >= 0; l-- {
		x, nx = m.seekLevel(key, x, nx, l)
		sp.prev[l], sp.next[l] = m.offset(x), m.offset(nx)
	}
}
