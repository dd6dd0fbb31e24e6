package vfs

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
)

// Default is the FS of the operating system.
var Default FS = osFS{}

// osLocks holds the paths this process has locked through Default.
var osLocks lockTable

// osFS implements FS with package os. Lock uses flock(2) on unix and
// LockFileEx on windows, plus osLocks for conflicts within this process.
type osFS struct{}

var _ FS = osFS{}

func (osFS) Create(name string) (File, error) {
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	return osFile{f}, nil
}

func (osFS) Open(name string) (File, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	return osFile{f}, nil
}

func (osFS) OpenForAppend(name string) (File, error) {
	// O_APPEND is not used: Go refuses WriteAt on such files. Seeking to
	// the end makes Write append instead.
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekEnd); err != nil {
		_ = f.Close()
		return nil, err
	}
	return osFile{f}, nil
}

func (osFS) OpenDir(name string) (File, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	if !fi.IsDir() {
		_ = f.Close()
		return nil, &os.PathError{Op: "opendir", Path: name, Err: errors.New("not a directory")}
	}
	return osDir{osFile{f}}, nil
}

func (osFS) Remove(name string) error { return os.Remove(name) }

func (osFS) Rename(oldname, newname string) error { return os.Rename(oldname, newname) }

func (osFS) MkdirAll(dir string, perm os.FileMode) error { return os.MkdirAll(dir, perm) }

func (osFS) List(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	sort.Strings(names) // os.ReadDir sorts already; List promises it.
	return names, nil
}

func (osFS) Stat(name string) (os.FileInfo, error) { return os.Stat(name) }

func (osFS) PathJoin(elem ...string) string { return filepath.Join(elem...) }

// Lock takes the in-process lock for the absolute path first, then the OS
// lock, so that a conflict with this process never reaches the OS.
func (osFS) Lock(name string) (io.Closer, error) {
	key, err := filepath.Abs(name)
	if err != nil {
		return nil, err
	}
	if !osLocks.acquire(key) {
		return nil, &os.PathError{Op: "lock", Path: name,
			Err: fmt.Errorf("%w (held by this process)", ErrLocked)}
	}
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		osLocks.release(key)
		return nil, err
	}
	if err := lockFile(f); err != nil {
		_ = f.Close()
		osLocks.release(key)
		return nil, &os.PathError{Op: "lock", Path: name, Err: err}
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

// osFile adapts *os.File to File.
type osFile struct{ *os.File }

func (f osFile) Size() (int64, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// osDir is a directory handle; Sync makes the directory's entries durable.
type osDir struct{ osFile }

func (d osDir) Sync() error { return syncDir(d.File) }
