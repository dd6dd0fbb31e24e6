package vfs

import "sync"

// lockTable is the set of lock paths held in this process, with the kind
// of each. OS locks alone cannot stop a second Lock from the same process:
// flock(2) locks belong to an open file description, and each Lock call
// opens a new one.
type lockTable struct {
	mu struct {
		sync.Mutex
		// held maps a path to its holders: exclusiveHolder for one Lock,
		// n > 0 for n LockShared calls. Absent means free.
		held map[string]int
	}
}

const exclusiveHolder = -1

// acquire takes key, shared or exclusively. On a conflict it returns a
// *LockedError saying which kind holds key.
func (t *lockTable) acquire(key, path string, shared bool) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.mu.held[key]
	switch {
	case n == exclusiveHolder:
		return &LockedError{Path: path, InProcess: true}
	case n > 0 && !shared:
		return &LockedError{Path: path, Shared: true, InProcess: true}
	}
	if t.mu.held == nil {
		t.mu.held = make(map[string]int)
	}
	if shared {
		t.mu.held[key] = n + 1
	} else {
		t.mu.held[key] = exclusiveHolder
	}
	return nil
}

// release gives back one holder's hold on key.
func (t *lockTable) release(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if n := t.mu.held[key]; n > 1 {
		t.mu.held[key] = n - 1
		return
	}
	delete(t.mu.held, key)
}
