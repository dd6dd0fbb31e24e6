package cache

import (
	"sync"
	"sync/atomic"
)

// key names a cached block.
type key struct {
	id, fileNum, off uint64
}

// fileKey names a file: the blocks EvictFile drops.
type fileKey struct {
	id, fileNum uint64
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

// entry is a cached value. It is on two circular doubly-linked lists, each
// with a sentinel: the shard's LRU list, and the list of its file's
// entries in that shard.
type entry struct {
	key    key
	value  *refValue // the entry holds one of its references
	charge int64

	prev, next         *entry // LRU list: sentinel.next is the most recently used
	filePrev, fileNext *entry // file list; the sentinel is a fileList
}

// fileList is the sentinel of a file's list of entries.
type fileList = entry

// shard is one part of the cache: an LRU list and maps from keys to
// entries and from files to their entry lists.
//
// Invariants, with mu held: every entry in entries is on the LRU list and
// on the list of its file in files; mu.size is the sum of their charges;
// a file's list in files is never empty.
type shard struct {
	mu struct {
		sync.Mutex
		entries map[key]*entry
		files   map[fileKey]*fileList
		lru     entry // sentinel
		size    int64
	}
	hits, misses, evictions atomic.Int64
	_                       [64]byte // keep shards' hot fields on separate cache lines
}

func (s *shard) init() {
	s.mu.entries = make(map[key]*entry)
	s.mu.files = make(map[fileKey]*fileList)
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
	s.addToFileLocked(e)
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

func (s *shard) evictFile(fk fileKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.mu.files[fk]
	if !ok {
		return
	}
	for l.fileNext != l {
		s.removeLocked(l.fileNext)
	}
}

// removeLocked drops e from the maps and both lists, and its reference to
// its value.
func (s *shard) removeLocked(e *entry) {
	e.value.unref()
	e.value = nil
	delete(s.mu.entries, e.key)
	s.mu.size -= e.charge
	e.prev.next, e.next.prev = e.next, e.prev
	e.filePrev.fileNext, e.fileNext.filePrev = e.fileNext, e.filePrev
	if l := e.fileNext; e.filePrev == l && l.fileNext == l {
		// e was the last entry of its file: l is the sentinel.
		delete(s.mu.files, fileKey{id: e.key.id, fileNum: e.key.fileNum})
	}
	e.prev, e.next, e.filePrev, e.fileNext = nil, nil, nil, nil
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

func (s *shard) addToFileLocked(e *entry) {
	fk := fileKey{id: e.key.id, fileNum: e.key.fileNum}
	l, ok := s.mu.files[fk]
	if !ok {
		l = &fileList{}
		l.filePrev, l.fileNext = l, l
		s.mu.files[fk] = l
	}
	e.filePrev, e.fileNext = l, l.fileNext
	l.fileNext.filePrev = e
	l.fileNext = e
}
