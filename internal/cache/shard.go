package cache

import (
	"sync"
	"sync/atomic"
)

// key names a cached block.
type key struct {
	id, fileNum, off uint64
}

// hash mixes the key's fields (file numbers are small and sequential,
// offsets multiples of the block size) into well-spread bits.
func (k key) hash() uint64 {
	h := k.id*0x9e3779b97f4a7c15 ^ k.fileNum*0xc2b2ae3d27d4eb4f ^ k.off*0x165667b19e3779f9
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	return h
}

// entry is a cached value, on one of its shard's two queues.
type entry struct {
	key    key
	value  *refValue // the entry holds one of its references
	charge int64
	// freq counts the hits since the entry was queued or last passed over
	// by eviction, up to maxFreq.
	freq uint8
	// main reports which queue the entry is on.
	main bool

	prev, next *entry // queue links
}

// maxFreq caps entry.freq: an entry survives at most maxFreq passes of
// the main queue's eviction without a hit.
const maxFreq = 3

// smallShare is the part of a shard's budget its small queue aims at,
// in tenths.
const smallShare = 1

// shard is one part of the cache, with the S3-FIFO eviction policy (Yang
// et al., "FIFO queues are all you need for cache eviction", SOSP 2023):
//
//   - A new entry joins the small queue, unless its key is in the ghost
//     set (it was evicted from the small queue lately) or it is larger
//     than the small queue's share, in which case it joins the main
//     queue.
//   - A hit only counts: freq goes up, to maxFreq. Nothing moves, so a
//     hit holds the mutex for a map lookup and no more.
//   - Eviction takes from the small queue's tail while that queue holds
//     more than its share (a tenth of the budget), else from the main
//     queue's. A small-queue entry that was hit moves to the main queue;
//     one that was not is dropped and its key hash joins the ghost set. A
//     main-queue entry that was hit goes back to the head with freq one
//     lower; one that was not is dropped.
//
// Blocks read once (a scan, a cold point read) leave through the small
// queue without pushing out blocks that are read again and again, which
// the main queue keeps. On the engine's workloads this keeps more of the
// blocks reads come back to than LRU did: see docs/decisions.md.
//
// Invariants, with mu held: the entries of the map are exactly those on
// the two queues, each on the one its main field names; mu.size is the
// sum of their charges and mu.smallSize the sum over the small queue.
//
// There is no index by file: EvictFile walks the queues. Files are evicted
// when a table closes for good (after a compaction), far less often than
// blocks are inserted, and keeping a per-file list cost every insert a map
// lookup and two more links.
type shard struct {
	mu struct {
		sync.Mutex
		entries     map[key]*entry
		small, main queue
		ghost       ghostSet
		size        int64
		smallSize   int64
	}
	hits, misses, evictions atomic.Int64
	_                       [64]byte // keep shards' hot fields on separate cache lines
}

func (s *shard) init() {
	s.mu.entries = make(map[key]*entry)
	s.mu.small.init()
	s.mu.main.init()
}

func (s *shard) size() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mu.size
}

// get returns the value cached under k with a reference taken for the
// caller, or nil. The reference is taken under mu, while the entry still
// holds its own, so the value cannot be freed in between.
func (s *shard) get(k key) *refValue {
	s.mu.Lock()
	e, ok := s.mu.entries[k]
	if !ok {
		s.mu.Unlock()
		s.misses.Add(1)
		return nil
	}
	if e.freq < maxFreq {
		e.freq++
	}
	v := e.value
	v.ref()
	s.mu.Unlock()
	s.hits.Add(1)
	return v
}

// set caches v under k, whose hash is h, taking a reference for the
// entry, then evicts down to budget. A value that replaces another keeps
// its entry's place.
func (s *shard) set(k key, h uint64, v *refValue, budget int64) {
	charge := int64(cap(v.buf)) + EntryOverhead
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.mu.entries[k]; ok {
		if charge > budget {
			s.removeLocked(e)
			return
		}
		v.ref()
		e.value.unref()
		s.chargeLocked(e, charge-e.charge)
		e.value = v
		s.trimLocked(budget)
		return
	}
	if charge > budget {
		return
	}
	v.ref()
	e := entryPool.Get().(*entry)
	*e = entry{key: k, value: v}
	s.mu.entries[k] = e
	// A value larger than the small queue's share would push every other
	// entry out of the small queue and then itself: it goes to the main
	// queue, as does a key the ghost set remembers.
	if s.mu.ghost.remove(h) || charge > budget*smallShare/10 {
		e.main = true
		s.mu.main.pushFront(e)
	} else {
		s.mu.small.pushFront(e)
	}
	s.chargeLocked(e, charge)
	s.trimLocked(budget)
}

// chargeLocked adds delta to e's charge and to the sizes that count it.
func (s *shard) chargeLocked(e *entry, delta int64) {
	e.charge += delta
	s.mu.size += delta
	if !e.main {
		s.mu.smallSize += delta
	}
}

// trim evicts entries until the shard fits budget.
func (s *shard) trim(budget int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.trimLocked(budget)
}

func (s *shard) trimLocked(budget int64) {
	for s.mu.size > budget {
		if s.mu.smallSize > budget*smallShare/10 || s.mu.main.empty() {
			s.evictSmallLocked(budget)
		} else {
			s.evictMainLocked()
		}
	}
}

// evictSmallLocked takes the small queue's tail: to the main queue if it
// was hit, else out of the cache and into the ghost set.
func (s *shard) evictSmallLocked(budget int64) {
	e := s.mu.small.back()
	s.mu.small.remove(e)
	if e.freq > 0 {
		s.mu.smallSize -= e.charge
		e.main, e.freq = true, 0
		s.mu.main.pushFront(e)
		return
	}
	s.mu.ghost.add(e.key.hash(), s.ghostLimitLocked(budget, e.charge))
	s.dropLocked(e)
	s.evictions.Add(1)
}

// evictMainLocked takes the main queue's tail: back to the head with one
// hit fewer if it was hit, else out of the cache.
func (s *shard) evictMainLocked() {
	e := s.mu.main.back()
	s.mu.main.remove(e)
	if e.freq > 0 {
		e.freq--
		s.mu.main.pushFront(e)
		return
	}
	s.dropLocked(e)
	s.evictions.Add(1)
}

// ghostLimitLocked bounds the ghost set at about as many keys as the
// main queue holds entries of the given charge.
func (s *shard) ghostLimitLocked(budget, charge int64) int {
	return int(max(budget*(10-smallShare)/10/max(charge, 1), 1))
}

// evictWhere drops the entries whose key drop accepts.
func (s *shard) evictWhere(drop func(k key) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, q := range []*queue{&s.mu.small, &s.mu.main} {
		for e := q.head.next; e != &q.head; {
			next := e.next
			if drop(e.key) {
				s.removeLocked(e)
			}
			e = next
		}
	}
}

// removeLocked takes e off its queue and drops it.
func (s *shard) removeLocked(e *entry) {
	if e.main {
		s.mu.main.remove(e)
	} else {
		s.mu.small.remove(e)
	}
	s.dropLocked(e)
}

// dropLocked removes e, already off its queue, from the map and the
// sizes, and drops its reference to its value.
func (s *shard) dropLocked(e *entry) {
	e.value.unref()
	e.value = nil
	delete(s.mu.entries, e.key)
	s.mu.size -= e.charge
	if !e.main {
		s.mu.smallSize -= e.charge
	}
	entryPool.Put(e)
}

// entryPool recycles entries: a shard refers to an entry only while it
// holds it, and each block miss would otherwise leave one behind as
// garbage.
var entryPool = sync.Pool{New: func() any { return new(entry) }}
