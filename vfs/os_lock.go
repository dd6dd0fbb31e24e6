package vfs

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// osLocks holds the paths this process has locked through Default.
var osLocks lockTable

// Lock implements FS: an exclusive flock(2) on unix, LockFileEx on
// windows, plus osLocks for conflicts within this process. It creates
// the file if needed.
func (osFS) Lock(name string) (io.Closer, error) {
	return lockOS(name, false)
}

// LockShared implements FS: a shared flock(2) on unix, a shared LockFileEx
// on windows, plus osLocks. The file is opened read-only and never
// created, so a user who cannot write the directory can take it.
func (osFS) LockShared(name string) (io.Closer, error) {
	return lockOS(name, true)
}

// lockOS takes the in-process lock for the absolute path first, then the
// OS lock, so that a conflict with this process never reaches the OS.
func lockOS(name string, shared bool) (io.Closer, error) {
	key, err := filepath.Abs(name)
	if err != nil {
		return nil, err
	}
	if err := osLocks.acquire(key, name, shared); err != nil {
		return nil, err
	}
	var f *os.File
	if shared {
		f, err = os.Open(name)
	} else {
		f, err = os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	}
	if err != nil {
		osLocks.release(key)
		return nil, err
	}
	if conflict, err := tryLockFile(f, shared); err != nil {
		if conflict {
			err = &LockedError{Path: name, Shared: !shared && heldShared(f), Err: err}
		} else {
			err = &os.PathError{Op: "lock", Path: name, Err: err}
		}
		_ = f.Close()
		osLocks.release(key)
		return nil, err
	}
	if err := stillNamed(f, name); err != nil {
		_ = unlockFile(f)
		_ = f.Close()
		osLocks.release(key)
		return nil, &os.PathError{Op: "lock", Path: name, Err: err}
	}
	return &osLock{f: f, key: key}, nil
}

// stillNamed checks that name still names f once f is locked. A holder
// may remove its lock file before it releases the lock (a failed open
// that created it does); a process that opened the file before the
// removal would otherwise lock a file no longer in the directory, while a
// third process creates and locks a new one. It gets ErrLocked instead.
func stillNamed(f *os.File, name string) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	ni, err := os.Stat(name)
	if err != nil || !os.SameFile(fi, ni) {
		return fmt.Errorf("%w (the lock file was removed or replaced while being locked)", ErrLocked)
	}
	return nil
}

// heldShared reports whether the lock that another process holds on f,
// which refused an exclusive lock, is shared: a shared lock can then be
// taken (and is given back at once). A shared request is refused only by
// an exclusive holder. The answer may be stale by the time it is used; it
// only words an error.
func heldShared(f *os.File) bool {
	if _, err := tryLockFile(f, true); err != nil {
		return false
	}
	_ = unlockFile(f)
	return true
}

// osLock is a held lock. Close releases the OS lock, then the in-process one.
type osLock struct {
	mu  sync.Mutex
	f   *os.File // nil once closed
	key string
}

func (l *osLock) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return &os.PathError{Op: "unlock", Path: l.key, Err: os.ErrClosed}
	}
	uerr := unlockFile(l.f)
	cerr := l.f.Close()
	l.f = nil
	osLocks.release(l.key)
	return errors.Join(uerr, cerr)
}
