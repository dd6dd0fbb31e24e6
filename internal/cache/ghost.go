package cache

// ghostSet remembers the key hashes of entries lately evicted from a
// shard's small queue, oldest first out, so that a key read again soon
// after its eviction goes straight to the main queue. It keeps hashes, not
// keys: a collision only sends a new entry to the main queue, where it
// must still be hit to stay.
//
// The adds are kept in order in a ring buffer, so that forgetting the
// oldest allocates nothing. An add whose hash was removed or added again
// since stays in the ring until its turn comes, and is then skipped, or
// until the ring is full, which then drops them all at once. The limit may
// change from one add to the next (it depends on the evicted entry's
// size); a ring still full after dropping the stale adds grows.
type ghostSet struct {
	set  map[uint64]uint64 // hash -> sequence number of its latest add
	ring []ghostItem       // adds in order, from ring[head], n of them
	head int
	n    int
	seq  uint64
}

type ghostItem struct {
	hash, seq uint64
}

// add remembers hash, then forgets the oldest hashes beyond limit.
func (g *ghostSet) add(hash uint64, limit int) {
	if g.set == nil {
		g.set = make(map[uint64]uint64)
	}
	g.seq++
	g.set[hash] = g.seq
	if g.n == len(g.ring) && len(g.ring) >= 2*limit+16 {
		g.compact() // usually over half the adds are stale
	}
	if g.n == len(g.ring) {
		g.grow() // the limit was larger when they were added
	}
	g.ring[(g.head+g.n)%len(g.ring)] = ghostItem{hash, g.seq}
	g.n++
	for len(g.set) > limit && g.n > 0 {
		g.pop()
	}
}

// grow doubles the ring, keeping the adds in order.
func (g *ghostSet) grow() {
	ring := make([]ghostItem, max(16, 2*len(g.ring)))
	for i := range g.n {
		ring[i] = g.ring[(g.head+i)%len(g.ring)]
	}
	g.ring, g.head = ring, 0
}

// compact drops the stale adds from the ring, keeping the others in
// order.
func (g *ghostSet) compact() {
	live := 0
	for i := range g.n {
		it := g.ring[(g.head+i)%len(g.ring)]
		if g.set[it.hash] == it.seq {
			g.ring[(g.head+live)%len(g.ring)] = it
			live++
		}
	}
	g.n = live
}

// pop forgets the oldest add, unless the hash was added again since.
func (g *ghostSet) pop() {
	it := g.ring[g.head]
	g.head = (g.head + 1) % len(g.ring)
	g.n--
	if g.set[it.hash] == it.seq {
		delete(g.set, it.hash)
	}
}

// remove reports whether hash is remembered, and forgets it.
func (g *ghostSet) remove(hash uint64) bool {
	if _, ok := g.set[hash]; !ok {
		return false
	}
	delete(g.set, hash)
	return true
}
