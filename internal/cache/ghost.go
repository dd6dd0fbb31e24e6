package cache

// ghostSet remembers the key hashes of entries lately evicted from a
// shard's small queue, oldest first out, so that a key read again soon
// after its eviction goes straight to the main queue. It keeps hashes, not
// keys: a collision only sends a new entry to the main queue, where it
// must still be hit to stay.
type ghostSet struct {
	set  map[uint64]uint64 // hash -> sequence number of its latest add
	fifo []ghostItem       // adds in order; fifo[0] is the oldest
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
	g.fifo = append(g.fifo, ghostItem{hash, g.seq})
	for len(g.set) > limit && len(g.fifo) > 0 {
		g.pop()
	}
	// Compact the FIFO once it is mostly items that were re-added or
	// removed since (the set no longer points at them).
	if len(g.fifo) > 2*len(g.set)+64 {
		live := g.fifo[:0]
		for _, it := range g.fifo {
			if g.set[it.hash] == it.seq {
				live = append(live, it)
			}
		}
		clear(g.fifo[len(live):])
		g.fifo = live
	}
}

// pop forgets the oldest add, unless the hash was added again since.
func (g *ghostSet) pop() {
	it := g.fifo[0]
	g.fifo = g.fifo[1:]
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

func (g *ghostSet) len() int { return len(g.set) }
