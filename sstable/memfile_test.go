package sstable

import (
	"errors"
	"io"
	"sync"

	"github.com/tempestdb/tempest/vfs"
)

// memFile is a vfs.File over a byte slice, with hooks to inject write,
// sync and read failures. It records Sync and Close calls.
type memFile struct {
	mu        sync.Mutex
	data      []byte
	syncs     int
	closed    bool
	failWrite error // returned by Write once set
	failSync  error
	failRead  error
	reads     int // ReadAt calls
}

var _ vfs.File = (*memFile)(nil)

var errMemFileClosed = errors.New("memfile: closed")

func (f *memFile) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return 0, errMemFileClosed
	}
	if f.failWrite != nil {
		return 0, f.failWrite
	}
	f.data = append(f.data, p...)
	return len(p), nil
}

func (f *memFile) WriteAt(p []byte, off int64) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return 0, errMemFileClosed
	}
	if end := int(off) + len(p); end > len(f.data) {
		f.data = append(f.data, make([]byte, end-len(f.data))...)
	}
	return copy(f.data[off:], p), nil
}

func (f *memFile) ReadAt(p []byte, off int64) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return 0, errMemFileClosed
	}
	f.reads++
	if f.failRead != nil {
		return 0, f.failRead
	}
	if off < 0 {
		return 0, errors.New("memfile: negative offset")
	}
	if off >= int64(len(f.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (f *memFile) Sync() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failSync != nil {
		return f.failSync
	}
	f.syncs++
	return nil
}

func (f *memFile) Size() (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return int64(len(f.data)), nil
}

func (f *memFile) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return errMemFileClosed
	}
	f.closed = true
	return nil
}

// reopen returns an open memFile over a copy of f's bytes.
func (f *memFile) reopen() *memFile {
	f.mu.Lock()
	defer f.mu.Unlock()
	return &memFile{data: append([]byte(nil), f.data...)}
}
