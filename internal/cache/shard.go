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

// entry is a cached value, on the shard's circular doubly-linked LRU list
// (with a sentinel).
type entry struct {
	key    key
	value  *refValue // the entry holds one of its references
	charge int64

	prev, next *entry // LRU list: sentinel.next is the most recently used
}

// shard is one part of the cache: an LRU list and a map from keys to
// entries.
//
// Invariants, with mu held: the entries of the map are exactly those on
// the LRU list; mu.size is the sum of their charges.
//
// There is no index by file: EvictFile walks the list. Files are evicted
// when a table closes for good (after a compaction), far less often than
// blocks are inserted, and keeping a per-file list cost every insert a map
// lookup and two more links.
type shard struct {
	mu struct {
		sync.Mutex
		entries map[key]*entry
		lru     entry // sentinel
		size    int64
	}
	hits, misses, evictions atomic.Int64
	_                       [64]byte // keep shards' hot fields on separate cache lines
}

func (s *shard) init() {
	s.mu.entries = make(map[key]*entry)
	s.mu.lru.prev, s.mu.lru.next = &s.mu.lru, &s.mu.lru
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
	s.moveToFrontLocked(e)
	v := e.value
	v.ref()
	s.mu.Unlock()
	s.hits.Add(1)
	return v
}

// set caches v under k, taking a reference for the entry, then evicts down
// to budget.
func (s *shard) set(k key, v *refValue, budget int64) {
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
		s.mu.size += charge - e.charge
		e.value, e.charge = v, charge
		s.moveToFrontLocked(e)
		s.trimLocked(budget)
		return
	}
	if charge > budget {
		return
	}
	v.ref()
	e := &entry{key: k, value: v, charge: charge}
	s.mu.entries[k] = e
	s.mu.size += charge
	s.pushFrontLocked(e)
	s.trimLocked(budget)
}

// trim evicts least recently used entries until the shard fits budget.
func (s *shard) trim(budget int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.trimLocked(budget)
}

func (s *shard) trimLocked(budget int64) {
	for s.mu.size > budget {
		s.removeLocked(s.mu.lru.prev)
		s.evictions.Add(1)
	}
}

// evictFile drops the entries of file fileNum in namespace id.
func (s *shard) evictFile(id, fileNum uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for e := s.mu.lru.next; e != &s.mu.lru; {
		next := e.next
		if e.key.id == id && e.key.fileNum == fileNum {
			s.removeLocked(e)
		}
		e = next
	}
}

// removeLocked drops e from the map and the list, and its reference to
// its value.
func (s *shard) removeLocked(e *entry) {
	e.value.unref()
	e.value = nil
	delete(s.mu.entries, e.key)
	s.mu.size -= e.charge
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

func (s *shard) pushFrontLocked(e *entry) {
	head := &s.mu.lru
	e.prev, e.next = head, head.next
	head.next.prev = e
	head.next = e
}

func (s *shard) moveToFrontLocked(e *entry) {
	if s.mu.lru.next == e {
		return
	}
	e.prev.next, e.next.prev = e.next, e.prev
	s.pushFrontLocked(e)
}
