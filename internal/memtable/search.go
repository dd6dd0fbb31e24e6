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

// lastSplice caches the splice of the latest Add for the next one.
//
// After node X of height h is inserted with splice sp, replacing prev[l]
// by X at levels below h gives the exact splice of any key K just after X
// (X < K <= next[0]): there is one writer, so nothing else changes the
// list. When the next key falls between prev[0] and next[0] (an ascending
// load, say) that splice brackets it at every level: above level 0,
// prev[l] precedes prev[0] < K and next[l] is at or after next[0] >= K. So
// the check costs at most two comparisons and, when it holds, replaces the
// whole descent.
type lastSplice struct {
	sp     splice
	height uint32 // levels of sp that are exact; 0 before the first Add
	// hits counts recent successes, decayed on misses, so that random
	// insertion orders stop paying for the check.
	hits int
	skip int
}

// advance records the splice after inserting the node at off with height
// h; height is the list height afterwards.
func (c *lastSplice) advance(off, h, height uint32) {
	for l := uint32(0); l < h; l++ {
		c.sp.prev[l] = off
	}
	c.height = height
}

// findSpliceFromLast fills m.last.sp for key from the cached splice when
// it brackets key at level 0, and reports whether it did. listHeight is
// the current list height.
func (m *Memtable) findSpliceFromLast(key base.InternalKey, listHeight uint32) bool {
	c := &m.last
	if c.height != listHeight || c.height == 0 {
		return false
	}
	if c.skip > 0 {
		c.skip--
		return false
	}
	prev, next := c.sp.prev[0], c.sp.next[0]
	ok := (prev == m.head || m.compareNode(key, m.node(prev)) > 0) &&
		(next == m.tail || m.compareNode(key, m.node(next)) <= 0)
	if ok {
		c.hits = min(c.hits+1, 16)
		return true
	}
	// A miss costs up to two comparisons. After repeated misses, try
	// only now and then.
	if c.hits--; c.hits < 0 {
		c.hits, c.skip = 0, 16
	}
	return false
}
