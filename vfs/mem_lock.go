package vfs

import (
	"io"
	"os"
	"sync"
)

// Lock implements FS. The lock is held in a table owned by fs; it does not
// survive CrashClone, just as a dead process's locks do not.
func (fs *MemFS) Lock(name string) (io.Closer, error) {
	return fs.lock(name, false)
}

// LockShared implements FS. The file must exist.
func (fs *MemFS) LockShared(name string) (io.Closer, error) {
	return fs.lock(name, true)
}

func (fs *MemFS) lock(name string, shared bool) (io.Closer, error) {
	p := memClean(name)
	if err := fs.locks.acquire(p, name, shared); err != nil {
		return nil, err
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	parent, base, n, err := fs.lookupLocked(p)
	switch {
	case err != nil:
	case parent == nil || (n != nil && n.isDir):
		err = errIsDir
	case n == nil && shared:
		err = os.ErrNotExist
	}
	if err != nil {
		fs.locks.release(p)
		return nil, &os.PathError{Op: "lock", Path: name, Err: err}
	}
	if n == nil {
		fs.createLocked(parent, base, &memNode{})
	}
	return &memLock{fs: fs, path: p}, nil
}

// memLock is a lock held in MemFS.locks.
type memLock struct {
	fs   *MemFS
	path string
	once sync.Once
}

func (l *memLock) Close() error {
	err := error(&os.PathError{Op: "unlock", Path: l.path, Err: os.ErrClosed})
	l.once.Do(func() {
		l.fs.locks.release(l.path)
		err = nil
	})
	return err
}
