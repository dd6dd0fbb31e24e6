package rediscmd

import (
	"math/rand/v2"
	"sync"
)

// CursorTable maps SCAN cursors to the key where each scan resumes.
//
// A SCAN that stops before the last key stores the next key under a new
// cursor and returns the cursor; SCAN with that cursor resumes at that
// key. Keys are visited in key order, so a scan returns every key that is
// present from its first call to its last at least once, and no key
// twice while its cursors are known. The table holds the newest n
// cursors; a cursor it does not know (too old, from before a restart, or
// made up) restarts the scan from the first key, which still returns
// every key at least once by the time the scan ends (docs/server.md).
type CursorTable struct {
	mu    sync.Mutex
	next  uint64
	byID  map[uint64][]byte
	order []uint64 // ring of ids, oldest at head
	head  int
	n     int
	bytes int // of the keys held
}

// MaxCursors is how many SCAN cursors are remembered, and
// maxCursorBytes how many bytes of keys they may hold (older cursors are
// forgotten first to stay within it).
const (
	MaxCursors     = 1 << 16
	maxCursorBytes = 64 << 20
)

func NewCursorTable(n int) *CursorTable {
	// Ids start at a random number, so that a cursor from before a
	// restart is unlikely to name a new scan's position.
	return &CursorTable{next: rand.Uint64(), byID: make(map[uint64][]byte), order: make([]uint64, n), n: n}
}

// Put stores key under a new cursor (never 0) and returns it.
func (t *CursorTable) Put(key []byte) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.next++
	if t.next == 0 {
		t.next = 1
	}
	id := t.next
	t.evictAt(t.head) // the oldest
	for i := (t.head + 1) % t.n; t.bytes+len(key) > maxCursorBytes && i != t.head; i = (i + 1) % t.n {
		t.evictAt(i) // the next oldest, while over the byte budget
	}
	t.order[t.head] = id
	t.head = (t.head + 1) % t.n
	t.byID[id] = append([]byte(nil), key...)
	t.bytes += len(key)
	return id
}

// evictAt forgets the cursor in ring slot i, if any.
func (t *CursorTable) evictAt(i int) {
	id := t.order[i]
	if id == 0 {
		return
	}
	t.bytes -= len(t.byID[id])
	delete(t.byID, id)
	t.order[i] = 0
}

// Get returns the key where cursor id resumes; ok is false for an
// unknown cursor.
func (t *CursorTable) Get(id uint64) ([]byte, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	k, ok := t.byID[id]
	return k, ok
}
