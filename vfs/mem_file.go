package vfs

import (
	"errors"
	"io"
	"math"
	"os"
	"sync"
	"sync/atomic"
)

// memBlockSize is the unit in which MemFS loses unsynced data at a crash:
// the size of a page in the OS cache.
const memBlockSize = 4096

// memMaxFileSize bounds a MemFS file so that offsets fit in an int on
// 32-bit platforms.
const memMaxFileSize = int64(math.MaxInt)

// memNode is a file or a directory of a MemFS.
//
// A directory's fields are guarded by MemFS.mu. A file's are guarded by
// its own mu, so that reads and writes of different files do not contend
// and a ReadAt can run concurrently with a Write of the same file.
type memNode struct {
	isDir bool

	// Directory state, guarded by MemFS.mu.
	parent  *memNode            // nil for the root and for removed directories
	name    string              // base name in parent
	entries map[string]*memNode // current entries
	synced  map[string]*memNode // durable entries: what a crash keeps at 0%

	// File state.
	mu struct {
		sync.RWMutex
		// data is the current content up to the last byte written; the
		// bytes from len(data) to size read as zeros (space that Allocate
		// or Truncate added and nothing wrote).
		data []byte
		// size is the file's current size. Invariant: len(data) <= size.
		size int64
		// syncedSize is size at the last Sync. The synced content is
		// data[:syncedSize], with zeros past len(data), except in blocks
		// listed in orig.
		syncedSize int64
		// dirty holds the index of every block written since the last
		// Sync, and of every block a Truncate cut below the synced size.
		dirty map[int64]struct{}
		// orig holds, for each dirty block whose synced bytes have been
		// overwritten or cut since the last Sync, the synced bytes of that
		// block: its part below syncedSize as it was at the Sync. It is
		// filled the first time a block changes after a Sync, so the
		// copies cost O(bytes written).
		orig map[int64][]byte
		// resized is set when Allocate or Truncate changed the size since
		// the last Sync, and cutTo is then the smallest size a Truncate
		// set since it (syncedSize if none was smaller); see the crash
		// model in mem_crash.go.
		resized bool
		cutTo   int64
		// syncEpoch counts the Syncs of this file. A write recorded with an
		// older epoch has been made durable.
		syncEpoch uint64
	}
}

func newMemDir(parent *memNode, name string) *memNode {
	return &memNode{
		isDir:   true,
		parent:  parent,
		name:    name,
		entries: make(map[string]*memNode),
		synced:  make(map[string]*memNode),
	}
}

// writeAtLocked writes p at off, growing the file with zeros as needed,
// and records the blocks it dirties. n.mu must be held for writing.
func (n *memNode) writeAtLocked(p []byte, off int64) error {
	if off < 0 {
		return errors.New("vfs: negative offset")
	}
	if len(p) == 0 {
		return nil
	}
	end := off + int64(len(p))
	if end > memMaxFileSize || end < off {
		return errors.New("vfs: MemFS file too large")
	}
	for b := off / memBlockSize; b*memBlockSize < end; b++ {
		n.markDirtyLocked(b)
	}
	n.materializeLocked(end)
	copy(n.mu.data[int(off):], p)
	n.mu.size = max(n.mu.size, end)
	return nil
}

// materializeLocked makes len(data) at least end, with zeros.
func (n *memNode) materializeLocked(end int64) {
	if end <= int64(len(n.mu.data)) {
		return
	}
	if end > int64(cap(n.mu.data)) {
		newCap := min(max(2*int64(cap(n.mu.data)), end), memMaxFileSize)
		grown := make([]byte, len(n.mu.data), int(newCap))
		copy(grown, n.mu.data)
		n.mu.data = grown
	}
	old := len(n.mu.data)
	n.mu.data = n.mu.data[:int(end)]
	clear(n.mu.data[old:]) // the bytes of a hole read as zeros
}

// markDirtyLocked records that block b is about to change, saving its
// synced bytes if they are about to be overwritten for the first time
// since the last Sync.
func (n *memNode) markDirtyLocked(b int64) {
	if n.mu.dirty == nil {
		n.mu.dirty = make(map[int64]struct{})
	}
	n.mu.dirty[b] = struct{}{}
	start := b * memBlockSize
	if start >= n.mu.syncedSize {
		return
	}
	if _, ok := n.mu.orig[b]; ok {
		return
	}
	if n.mu.orig == nil {
		n.mu.orig = make(map[int64][]byte)
	}
	orig := make([]byte, min(start+memBlockSize, n.mu.syncedSize)-start)
	if start < int64(len(n.mu.data)) {
		copy(orig, n.mu.data[start:])
	}
	n.mu.orig[b] = orig
}

// allocateLocked extends the file to size bytes of zeros, if it is
// shorter.
func (n *memNode) allocateLocked(size int64) error {
	if size > memMaxFileSize {
		return errors.New("vfs: MemFS file too large")
	}
	if size > n.mu.size {
		n.mu.size = size
		n.resizedLocked()
	}
	return nil
}

// truncateLocked sets the file's size to size, saving the synced bytes
// of the blocks it cuts.
func (n *memNode) truncateLocked(size int64) error {
	if size < 0 {
		return errors.New("vfs: negative size")
	}
	if size >= n.mu.size {
		return n.allocateLocked(size)
	}
	for b := size / memBlockSize; b*memBlockSize < min(int64(len(n.mu.data)), n.mu.syncedSize); b++ {
		n.markDirtyLocked(b)
	}
	n.mu.data = n.mu.data[:min(int64(len(n.mu.data)), size)]
	n.mu.size = size
	n.resizedLocked()
	n.mu.cutTo = min(n.mu.cutTo, size)
	return nil
}

// resizedLocked records a change of size by Allocate or Truncate.
func (n *memNode) resizedLocked() {
	if !n.mu.resized {
		n.mu.resized, n.mu.cutTo = true, n.mu.syncedSize
	}
}

// syncLocked makes the current content the synced content.
func (n *memNode) syncLocked() {
	n.mu.syncedSize = n.mu.size
	n.mu.dirty = nil
	n.mu.orig = nil
	n.mu.resized = false
	n.mu.syncEpoch++
}

// syncedLocked copies into dst the synced content at off, reading bytes
// at or past limit (at most syncedSize) as zeros. n.mu must be held.
func (n *memNode) syncedLocked(dst []byte, off, limit int64) {
	clear(dst)
	end := min(off+int64(len(dst)), limit)
	if off >= end {
		return
	}
	if off < int64(len(n.mu.data)) {
		copy(dst[:end-off], n.mu.data[off:min(end, int64(len(n.mu.data)))])
	}
	for b := off / memBlockSize; b*memBlockSize < end; b++ {
		orig, ok := n.mu.orig[b]
		if !ok {
			continue
		}
		start := b * memBlockSize
		from, to := max(start, off), min(start+int64(len(orig)), end)
		if from < to {
			copy(dst[from-off:to-off], orig[from-start:to-start])
		}
	}
}

func (n *memNode) size() int64 {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.mu.size
}

// readAtLocked reads the current content at off, as ReadAt does.
func (n *memNode) readAtLocked(p []byte, off int64) (int, error) {
	if off >= n.mu.size {
		return 0, io.EOF
	}
	k := int(min(int64(len(p)), n.mu.size-off))
	copied := 0
	if off < int64(len(n.mu.data)) {
		copied = copy(p[:k], n.mu.data[off:])
	}
	clear(p[copied:k])
	if k < len(p) {
		return k, io.EOF
	}
	return k, nil
}

// memFile is an open handle on a MemFS file or directory.
type memFile struct {
	fs       *MemFS
	n        *memNode
	name     string // cleaned path, for errors
	writable bool
	closed   atomic.Bool

	// mu serializes Writes through this handle and guards pos.
	mu  sync.Mutex
	pos int64 // where the next Write goes
}

var _ File = (*memFile)(nil)

func (f *memFile) pathErr(op string, err error) error {
	return &os.PathError{Op: op, Path: f.name, Err: err}
}

func (f *memFile) Close() error {
	if f.closed.Swap(true) {
		return f.pathErr("close", os.ErrClosed)
	}
	return nil
}

func (f *memFile) ReadAt(p []byte, off int64) (int, error) {
	if f.closed.Load() {
		return 0, f.pathErr("read", os.ErrClosed)
	}
	if f.n.isDir {
		return 0, f.pathErr("read", errIsDir)
	}
	if off < 0 {
		return 0, f.pathErr("read", errors.New("negative offset"))
	}
	f.n.mu.RLock()
	defer f.n.mu.RUnlock()
	return f.n.readAtLocked(p, off)
}

func (f *memFile) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.writeAt(p, f.pos); err != nil {
		return 0, err
	}
	f.pos += int64(len(p))
	return len(p), nil
}

func (f *memFile) WriteAt(p []byte, off int64) (int, error) {
	if err := f.writeAt(p, off); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (f *memFile) writeAt(p []byte, off int64) error {
	switch {
	case f.closed.Load():
		return f.pathErr("write", os.ErrClosed)
	case f.n.isDir:
		return f.pathErr("write", errIsDir)
	case !f.writable:
		return f.pathErr("write", errReadOnlyHandle)
	}
	f.n.mu.Lock()
	defer f.n.mu.Unlock()
	if err := f.n.writeAtLocked(p, off); err != nil {
		return f.pathErr("write", err)
	}
	if len(p) > 0 {
		f.fs.recordWrite(f.n, off, int64(len(p)), f.n.mu.syncEpoch)
	}
	return nil
}

func (f *memFile) Sync() error {
	if f.closed.Load() {
		return f.pathErr("sync", os.ErrClosed)
	}
	if f.n.isDir {
		f.fs.syncDir(f.n)
		return nil
	}
	f.n.mu.Lock()
	defer f.n.mu.Unlock()
	f.n.syncLocked()
	return nil
}

func (f *memFile) Size() (int64, error) {
	if f.closed.Load() {
		return 0, f.pathErr("stat", os.ErrClosed)
	}
	if f.n.isDir {
		return 0, nil
	}
	return f.n.size(), nil
}
