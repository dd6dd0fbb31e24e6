package memtable

import (
	"math/rand/v2"
	"sync/atomic"

	"github.com/tempestdb/tempest/internal/base"
)

// Concurrent insertion.
//
// AddConcurrent lets several goroutines insert at once, so that the
// batches of concurrent writers are applied on every core at once. It follows the lock-free skiplist insertion of
// RocksDB's InlineSkipList and Pebble's arenaskl:
//
//   - The node is carved with a compare-and-swap on the arena's offset and
//     filled before it is reachable, as in Add.
//   - The list height is raised with a compare-and-swap before the
//     splice is searched, so the search covers the new levels.
//   - Each level, from 0 up, is linked with a compare-and-swap of the
//     predecessor's link from the expected successor to the node. When it
//     fails, another insertion landed between the two: the splice of that
//     level is searched again from the same predecessor (still before the
//     key; nodes never move) and the swap retried.
//   - Back links (level 0's prev) are switched with a compare-and-swap from
//     the predecessor to the node once the node is linked. An insertion
//     that finds its successor's back link not naming its predecessor,
//     while the predecessor's link does name the successor, first finishes
//     that earlier insertion's switch. So every back link ends naming the
//     node's true predecessor once all insertions have returned, and at
//     every instant names a node before it (what readers rely on, doc.go).
//
// Entries of one goroutine keep Add's order rule: an internal key equal to
// an existing one is placed before it. Equal internal keys from different
// goroutines never meet: they belong to different batches, hence
// different sequence numbers.
//
// Add and AddConcurrent must not run at the same time: the caller switches
// from one to the other only when no insertion is in flight (the commit
// pipeline inserts with Add only while no other batch is pending). After any AddConcurrent the next Add
// drops the splice it cached, which concurrent insertions made stale.

// AddConcurrent is Add for callers that insert from several goroutines at
// once. It returns ErrArenaFull, changing nothing, when the entry does not
// fit. It does not allocate.
func (m *Memtable) AddConcurrent(key base.InternalKey, value []byte) error {
	if !m.spliceStale.Load() { // a load, not a store: writers share the line
		m.spliceStale.Store(true)
	}
	h := sharedRandomHeight()
	kl, vl := uint32(len(key.UserKey)), uint32(len(value))
	off, ok := m.arena.allocShared(nodeSize(h)+uint64(kl)+uint64(vl), uint64(maxNodeSize))
	if !ok {
		return ErrArenaFull
	}
	nd := m.fillNode(off, h, key, value)
	bits := m.filter.slot(m.cmp.Prefix(key.UserKey))

	listHeight := m.raiseHeight(h)
	var sp splice
	m.findSplice(key, listHeight, &sp)
	m.filter.set(bits) // before the node is reachable
	for l := 0; l < int(h); l++ {
		m.linkLevel(key, nd, off, l, &sp)
	}
	m.count.Add(1)
	return nil
}

// raiseHeight raises the list height to at least h and returns the list
// height afterwards.
func (m *Memtable) raiseHeight(h uint32) uint32 {
	for {
		cur := m.height.Load()
		if h <= cur || m.height.CompareAndSwap(cur, h) {
			return max(h, cur)
		}
	}
}

// linkLevel links nd (at off) into level l between sp.prev[l] and
// sp.next[l], searching that level's splice again after each lost race.
func (m *Memtable) linkLevel(key base.InternalKey, nd *node, off uint32, l int, sp *splice) {
	for {
		prevOff, nextOff := sp.prev[l], sp.next[l]
		prev, next := m.node(prevOff), m.node(nextOff)
		nd.setNext(l, nextOff)
		if l == 0 {
			nd.setPrev(prevOff)
			m.finishBackLink(prev, prevOff, next, nextOff)
		}
		if prev.casNext(l, nextOff, off) {
			if l == 0 {
				next.casPrev(prevOff, off)
			}
			return
		}
		p, n := m.seekLevel(key, prev, next, l)
		sp.prev[l], sp.next[l] = m.offset(p), m.offset(n)
	}
}

// finishBackLink completes an earlier insertion between prev and next
// whose back-link switch is still pending: next's back link does not name
// prev although prev's level-0 link names next.
func (m *Memtable) finishBackLink(prev *node, prevOff uint32, next *node, nextOff uint32) {
	if old := next.prevOff(); old != prevOff && prev.next(0) == nextOff {
		next.casPrev(old, prevOff)
	}
}

// sharedRandomHeight draws a tower height like randomHeight, from the
// runtime's per-thread generator, which any goroutine may use.
func sharedRandomHeight() uint32 {
	h := uint32(1)
	for h < maxHeight && rand.Uint64() < growOdds {
		h++
	}
	return h
}

func (n *node) casNext(level int, old, new uint32) bool {
	return atomic.CompareAndSwapUint32(&n.tower[level], old, new)
}

func (n *node) casPrev(old, new uint32) bool {
	return atomic.CompareAndSwapUint32(&n.prev, old, new)
}
