package vfs

import "sync"

// lockTable is the set of lock paths held in this process. OS locks alone
// cannot stop a second Lock from the same process: flock(2) locks belong
// to an open file description, and each Lock call opens a new one.
type lockTable struct {
	mu struct {
		sync.Mutex
		held map[string]struct{}
	}
}

// acquire marks key held. It reports false if key is already held.
func (t *lockTable) acquire(key string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.mu.held[key]; ok {
		return false
	}
	if t.mu.held == nil {
		t.mu.held = make(map[string]struct{})
	}
	t.mu.held[key] = struct{}{}
	return true
}

// release forgets key.
func (t *lockTable) release(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.mu.held, key)
}
