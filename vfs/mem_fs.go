package vfs

import (
	"errors"
	"fmt"
	"os"
	"path"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

var (
	errIsDir          = syscall.EISDIR
	errNotDir         = syscall.ENOTDIR
	errNotEmpty       = syscall.ENOTEMPTY
	errReadOnlyHandle = errors.New("file not opened for writing")
)

// MemFS is an in-memory FS built for deterministic crash simulation. It is
// safe for concurrent use.
//
// Paths are slash-separated and cleaned with path.Clean; relative paths
// are taken from the root, so "a/b" and "/a/b" name the same file. As on a
// real file system, a file can only be created in an existing directory,
// and errors match os.ErrNotExist and os.ErrExist where a real one would.
//
// Besides the current state, a MemFS keeps what a crash would leave behind:
// each file's synced content (see File.Sync) and each directory's synced
// entries (see FS.OpenDir). CrashClone turns that into a new MemFS; the
// crash model is described in mem_crash.go.
//
// Deviations from POSIX, chosen to keep the model simple:
//   - Create on an existing name makes a new file that replaces the old
//     entry, like a rename over it; handles open on the old file keep
//     seeing the old content.
//   - Directories are durable as soon as MkdirAll, Remove or Rename
//     changes them; only files' directory entries need a directory Sync.
//   - Rename of a directory fails with os.ErrExist if the target exists.
//   - Locks live in an in-process table owned by the MemFS.
type MemFS struct {
	mu struct {
		sync.Mutex
		root *memNode
		// pending lists the directory changes not yet durable, oldest
		// first (see mem_crash.go).
		pending []*memDirOp
	}
	locks lockTable
	// mappable is set by SetMappable.
	mappable atomic.Bool

	// lastWrite is the most recent write (Write, WriteAt or a Mapping's
	// Store) on any file, for
	// CrashOptions.TornLastWrite. Lock order: memNode.mu, then lastWrite.
	lastWrite struct {
		sync.Mutex
		w memWrite
	}
}

// memWrite records a Write, WriteAt or Mapping.Store.
type memWrite struct {
	n     *memNode
	off   int64
	len   int64
	epoch uint64 // n's syncEpoch at the write
}

var _ FS = (*MemFS)(nil)

// NewMem returns an empty MemFS holding only its root directory.
func NewMem() *MemFS {
	fs := &MemFS{}
	fs.mu.root = newMemDir(nil, "")
	return fs
}

// memClean turns name into an absolute, cleaned slash path.
func memClean(name string) string { return path.Clean("/" + name) }

// lookupDirLocked returns the directory at the cleaned path p.
func (fs *MemFS) lookupDirLocked(p string) (*memNode, error) {
	n := fs.mu.root
	if p == "/" {
		return n, nil
	}
	for _, c := range strings.Split(p[1:], "/") {
		child := n.entries[c]
		if child == nil {
			return nil, os.ErrNotExist
		}
		if !child.isDir {
			return nil, errNotDir
		}
		n = child
	}
	return n, nil
}

// lookupLocked resolves the cleaned path p to its parent directory, its
// base name and its node, which is nil if the entry does not exist. For
// the root, parent is nil and base is empty.
func (fs *MemFS) lookupLocked(p string) (parent *memNode, base string, n *memNode, err error) {
	if p == "/" {
		return nil, "", fs.mu.root, nil
	}
	dir, base := path.Split(p)
	parent, err = fs.lookupDirLocked(path.Clean(dir))
	if err != nil {
		return nil, "", nil, err
	}
	return parent, base, parent.entries[base], nil
}

// Create implements FS.
func (fs *MemFS) Create(name string) (File, error) {
	p := memClean(name)
	fs.mu.Lock()
	defer fs.mu.Unlock()
	parent, base, old, err := fs.lookupLocked(p)
	if err != nil {
		return nil, &os.PathError{Op: "create", Path: name, Err: err}
	}
	if parent == nil || (old != nil && old.isDir) {
		return nil, &os.PathError{Op: "create", Path: name, Err: errIsDir}
	}
	n := &memNode{}
	fs.createLocked(parent, base, n)
	return &memFile{fs: fs, n: n, name: p, writable: true}, nil
}

// createLocked links the new file n as parent/base, replacing any file
// there, as a change that needs a directory sync.
func (fs *MemFS) createLocked(parent *memNode, base string, n *memNode) {
	parent.entries[base] = n
	fs.logLocked(&memDirOp{kind: memOpCreate, dir: parent, name: base, node: n})
}

// Open implements FS.
func (fs *MemFS) Open(name string) (File, error) { return fs.open("open", name, false) }

// OpenForAppend implements FS.
func (fs *MemFS) OpenForAppend(name string) (File, error) { return fs.open("open", name, true) }

// OpenDir implements FS.
func (fs *MemFS) OpenDir(name string) (File, error) {
	p := memClean(name)
	fs.mu.Lock()
	defer fs.mu.Unlock()
	d, err := fs.lookupDirLocked(p)
	if err != nil {
		return nil, &os.PathError{Op: "opendir", Path: name, Err: err}
	}
	return &memFile{fs: fs, n: d, name: p}, nil
}

func (fs *MemFS) open(op, name string, forAppend bool) (File, error) {
	p := memClean(name)
	fs.mu.Lock()
	defer fs.mu.Unlock()
	_, _, n, err := fs.lookupLocked(p)
	if err == nil && n == nil {
		err = os.ErrNotExist
	}
	if err != nil {
		return nil, &os.PathError{Op: op, Path: name, Err: err}
	}
	f := &memFile{fs: fs, n: n, name: p}
	if forAppend {
		if n.isDir {
			return nil, &os.PathError{Op: op, Path: name, Err: errIsDir}
		}
		f.writable = true
		f.pos = n.size()
	}
	return f, nil
}

// Remove implements FS.
func (fs *MemFS) Remove(name string) error {
	p := memClean(name)
	fs.mu.Lock()
	defer fs.mu.Unlock()
	parent, base, n, err := fs.lookupLocked(p)
	if err == nil && n == nil {
		err = os.ErrNotExist
	}
	if err == nil && parent == nil {
		err = syscall.EBUSY // the root
	}
	if err == nil && n.isDir && len(n.entries) > 0 {
		err = errNotEmpty
	}
	if err != nil {
		return &os.PathError{Op: "remove", Path: name, Err: err}
	}
	if n.isDir {
		// Directories change durably. The pending changes inside n, and
		// those they depend on, become durable first, so no later crash
		// replays a change into a directory that no longer exists.
		fs.makeDurableLocked(func(op *memDirOp) bool {
			return op.touchesDir(n) || op.touchesEntry(parent, base)
		})
		delete(parent.entries, base)
		delete(parent.synced, base)
		n.parent = nil
		return nil
	}
	delete(parent.entries, base)
	fs.logLocked(&memDirOp{kind: memOpRemove, dir: parent, name: base, node: n})
	return nil
}

// Rename implements FS.
func (fs *MemFS) Rename(oldname, newname string) error {
	op, np := memClean(oldname), memClean(newname)
	fs.mu.Lock()
	defer fs.mu.Unlock()
	linkErr := func(err error) error {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: err}
	}
	oldParent, oldBase, n, err := fs.lookupLocked(op)
	if err == nil && n == nil {
		err = os.ErrNotExist
	}
	if err != nil {
		return linkErr(err)
	}
	newParent, newBase, target, err := fs.lookupLocked(np)
	if err != nil {
		return linkErr(err)
	}
	if oldParent == nil || newParent == nil {
		return linkErr(syscall.EBUSY) // the root
	}
	if op == np {
		return nil
	}
	if n.isDir {
		return fs.renameDirLocked(n, oldParent, oldBase, newParent, newBase, target, linkErr)
	}
	if target != nil && target.isDir {
		return linkErr(errIsDir)
	}
	delete(oldParent.entries, oldBase)
	newParent.entries[newBase] = n
	fs.logLocked(&memDirOp{kind: memOpRename, dir: oldParent, name: oldBase,
		dstDir: newParent, dstName: newBase, node: n})
	return nil
}

// renameDirLocked moves directory d durably (see MemFS).
func (fs *MemFS) renameDirLocked(
	d, oldParent *memNode, oldBase string, newParent *memNode, newBase string,
	target *memNode, linkErr func(error) error,
) error {
	if target != nil {
		return linkErr(os.ErrExist)
	}
	for a := newParent; a != nil; a = a.parent {
		if a == d {
			return linkErr(syscall.EINVAL) // into its own subtree
		}
	}
	fs.makeDurableLocked(func(op *memDirOp) bool {
		return op.touchesEntry(oldParent, oldBase) || op.touchesEntry(newParent, newBase)
	})
	delete(oldParent.entries, oldBase)
	delete(oldParent.synced, oldBase)
	newParent.entries[newBase] = d
	newParent.synced[newBase] = d
	d.parent, d.name = newParent, newBase
	return nil
}

// MkdirAll implements FS. New directories are durable at once.
func (fs *MemFS) MkdirAll(dir string, perm os.FileMode) error {
	p := memClean(dir)
	fs.mu.Lock()
	defer fs.mu.Unlock()
	n := fs.mu.root
	if p == "/" {
		return nil
	}
	for _, c := range strings.Split(p[1:], "/") {
		child := n.entries[c]
		if child == nil {
			parent := n
			fs.makeDurableLocked(func(op *memDirOp) bool { return op.touchesEntry(parent, c) })
			child = newMemDir(parent, c)
			parent.entries[c] = child
			parent.synced[c] = child
		} else if !child.isDir {
			return &os.PathError{Op: "mkdir", Path: dir, Err: errNotDir}
		}
		n = child
	}
	return nil
}

// List implements FS.
func (fs *MemFS) List(dir string) ([]string, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	d, err := fs.lookupDirLocked(memClean(dir))
	if err != nil {
		return nil, &os.PathError{Op: "readdir", Path: dir, Err: err}
	}
	return sortedNames(d.entries), nil
}

func sortedNames(m map[string]*memNode) []string {
	names := make([]string, 0, len(m))
	for name := range m {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Stat implements FS.
func (fs *MemFS) Stat(name string) (os.FileInfo, error) {
	p := memClean(name)
	fs.mu.Lock()
	defer fs.mu.Unlock()
	_, base, n, err := fs.lookupLocked(p)
	if err == nil && n == nil {
		err = os.ErrNotExist
	}
	if err != nil {
		return nil, &os.PathError{Op: "stat", Path: name, Err: err}
	}
	if base == "" {
		base = "/"
	}
	fi := memFileInfo{name: base, isDir: n.isDir}
	if !n.isDir {
		fi.size = n.size()
	}
	return fi, nil
}

// PathJoin implements FS.
func (fs *MemFS) PathJoin(elem ...string) string { return path.Join(elem...) }

// memFileInfo implements os.FileInfo.
type memFileInfo struct {
	name  string
	size  int64
	isDir bool
}

func (fi memFileInfo) Name() string { return fi.name }
func (fi memFileInfo) Size() int64  { return fi.size }
func (fi memFileInfo) Mode() os.FileMode {
	if fi.isDir {
		return os.ModeDir | 0o755
	}
	return 0o644
}

// ModTime returns the zero time, keeping MemFS deterministic.
func (fi memFileInfo) ModTime() time.Time { return time.Time{} }
func (fi memFileInfo) IsDir() bool        { return fi.isDir }
func (fi memFileInfo) Sys() any           { return nil }

// ReadFile returns a copy of the current content of the named file.
func (fs *MemFS) ReadFile(name string) ([]byte, error) {
	p := memClean(name)
	fs.mu.Lock()
	_, _, n, err := fs.lookupLocked(p)
	fs.mu.Unlock()
	if err == nil && n == nil {
		err = os.ErrNotExist
	}
	if err == nil && n.isDir {
		err = errIsDir
	}
	if err != nil {
		return nil, &os.PathError{Op: "read", Path: name, Err: err}
	}
	n.mu.RLock()
	defer n.mu.RUnlock()
	out := make([]byte, n.mu.size)
	copy(out, n.mu.data)
	return out, nil
}

// WriteFile replaces the content of the named file with data, creating the
// file if needed. Unlike Create and Write, the change is durable at once:
// both the content and the directory entry survive any crash. An existing
// file is changed in place, so open handles see the new content. It is
// meant for tests that corrupt files.
func (fs *MemFS) WriteFile(name string, data []byte) error {
	p := memClean(name)
	fs.mu.Lock()
	defer fs.mu.Unlock()
	parent, base, n, err := fs.lookupLocked(p)
	if err == nil && (parent == nil || (n != nil && n.isDir)) {
		err = errIsDir
	}
	if err != nil {
		return &os.PathError{Op: "write", Path: name, Err: err}
	}
	fs.makeDurableLocked(func(op *memDirOp) bool { return op.touchesEntry(parent, base) })
	if n == nil {
		n = &memNode{}
		parent.entries[base] = n
		parent.synced[base] = n
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.mu.data = append([]byte{}, data...)
	n.mu.size = int64(len(data))
	n.syncLocked()
	return nil
}

// String lists every directory and file, with each file's current and
// synced sizes and the number of blocks written since its last sync, then
// the directory changes not yet durable.
func (fs *MemFS) String() string {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	var b strings.Builder
	var walk func(d *memNode, dir string)
	walk = func(d *memNode, dir string) {
		for _, name := range sortedNames(d.entries) {
			n := d.entries[name]
			p := path.Join(dir, name)
			if n.isDir {
				fmt.Fprintf(&b, "%s/\n", p)
				walk(n, p)
				continue
			}
			n.mu.RLock()
			fmt.Fprintf(&b, "%s size=%d synced=%d dirty-blocks=%d\n",
				p, n.mu.size, n.mu.syncedSize, len(n.mu.dirty))
			n.mu.RUnlock()
		}
	}
	b.WriteString("/\n")
	walk(fs.mu.root, "/")
	for _, op := range fs.mu.pending {
		fmt.Fprintf(&b, "unsynced: %s\n", op)
	}
	return b.String()
}

// Link implements Linker: newname becomes a second entry for the file
// oldname, durable once its directory is synced (like Create's).
func (fs *MemFS) Link(oldname, newname string) error {
	op, np := memClean(oldname), memClean(newname)
	fs.mu.Lock()
	defer fs.mu.Unlock()
	linkErr := func(err error) error {
		return &os.LinkError{Op: "link", Old: oldname, New: newname, Err: err}
	}
	_, _, n, err := fs.lookupLocked(op)
	if err == nil && n == nil {
		err = os.ErrNotExist
	}
	if err != nil {
		return linkErr(err)
	}
	if n.isDir {
		return linkErr(errIsDir)
	}
	newParent, newBase, target, err := fs.lookupLocked(np)
	switch {
	case err != nil:
		return linkErr(err)
	case newParent == nil || target != nil:
		return linkErr(os.ErrExist)
	}
	fs.createLocked(newParent, newBase, n)
	return nil
}

var _ Linker = (*MemFS)(nil)
