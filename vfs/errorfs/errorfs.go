package errorfs

import (
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"sync"

	"github.com/tempestdb/tempest/vfs"
)

// FS is a vfs.FS that offers every operation to an Injector before passing
// it to the wrapped FS.
type FS struct {
	inner   vfs.FS
	inj     Injector
	partial *partialWrites // nil: a failed write writes nothing
}

var _ vfs.FS = (*FS)(nil)

// Option configures Wrap.
type Option func(*FS)

// WithPartialWrites makes a failed Write or WriteAt write a random prefix
// (possibly empty, never the whole buffer) before failing, drawn from a
// generator seeded with seed.
func WithPartialWrites(seed uint64) Option {
	return func(fs *FS) {
		fs.partial = &partialWrites{}
		fs.partial.mu.rng = rand.New(rand.NewPCG(seed, seed^0x5851f42d4c957f2d))
	}
}

type partialWrites struct {
	mu struct {
		sync.Mutex
		rng *rand.Rand
	}
}

// prefix returns how many of n bytes a failed write writes, n > 0.
func (pw *partialWrites) prefix(n int) int {
	pw.mu.Lock()
	defer pw.mu.Unlock()
	return pw.mu.rng.IntN(n)
}

// Wrap returns inner with faults from inj (nil: none) injected.
func Wrap(inner vfs.FS, inj Injector, opts ...Option) *FS {
	fs := &FS{inner: inner, inj: inj}
	for _, o := range opts {
		o(fs)
	}
	return fs
}

// Inner returns the wrapped FS.
func (fs *FS) Inner() vfs.FS { return fs.inner }

// maybeError offers op to the injector.
func (fs *FS) maybeError(op Op) error {
	if fs.inj == nil {
		return nil
	}
	if err := fs.inj.MaybeError(op); err != nil {
		return &InjectedError{Op: op, Err: err}
	}
	return nil
}

// Create implements vfs.FS.
func (fs *FS) Create(name string) (vfs.File, error) {
	if err := fs.maybeError(Op{Kind: OpCreate, Path: name}); err != nil {
		return nil, err
	}
	f, err := fs.inner.Create(name)
	if err != nil {
		return nil, err
	}
	return fs.wrapFile(f, name, 0), nil
}

// Open implements vfs.FS.
func (fs *FS) Open(name string) (vfs.File, error) {
	if err := fs.maybeError(Op{Kind: OpOpen, Path: name}); err != nil {
		return nil, err
	}
	f, err := fs.inner.Open(name)
	if err != nil {
		return nil, err
	}
	return fs.wrapFile(f, name, 0), nil
}

// OpenForAppend implements vfs.FS.
func (fs *FS) OpenForAppend(name string) (vfs.File, error) {
	if err := fs.maybeError(Op{Kind: OpOpen, Path: name}); err != nil {
		return nil, err
	}
	f, err := fs.inner.OpenForAppend(name)
	if err != nil {
		return nil, err
	}
	size, err := f.Size()
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return fs.wrapFile(f, name, size), nil
}

// OpenDir implements vfs.FS.
func (fs *FS) OpenDir(name string) (vfs.File, error) {
	if err := fs.maybeError(Op{Kind: OpOpenDir, Path: name}); err != nil {
		return nil, err
	}
	f, err := fs.inner.OpenDir(name)
	if err != nil {
		return nil, err
	}
	return &file{fs: fs, inner: f, path: name}, nil
}

// Remove implements vfs.FS.
func (fs *FS) Remove(name string) error {
	if err := fs.maybeError(Op{Kind: OpRemove, Path: name}); err != nil {
		return err
	}
	return fs.inner.Remove(name)
}

// Rename implements vfs.FS.
func (fs *FS) Rename(oldname, newname string) error {
	if err := fs.maybeError(Op{Kind: OpRename, Path: oldname, NewPath: newname}); err != nil {
		return err
	}
	return fs.inner.Rename(oldname, newname)
}

// Link implements vfs.Linker when the wrapped FS does: the link is
// offered to the injector first. When the wrapped FS cannot link, it
// fails with an error matching errors.ErrUnsupported, so that
// vfs.LinkOrCopy copies.
func (fs *FS) Link(oldname, newname string) error {
	l, ok := fs.inner.(vfs.Linker)
	if !ok {
		return &os.LinkError{Op: "link", Old: oldname, New: newname, Err: errors.ErrUnsupported}
	}
	if err := fs.maybeError(Op{Kind: OpLink, Path: oldname, NewPath: newname}); err != nil {
		return err
	}
	return l.Link(oldname, newname)
}

var _ vfs.Linker = (*FS)(nil)

// MkdirAll implements vfs.FS.
func (fs *FS) MkdirAll(dir string, perm os.FileMode) error {
	if err := fs.maybeError(Op{Kind: OpMkdirAll, Path: dir}); err != nil {
		return err
	}
	return fs.inner.MkdirAll(dir, perm)
}

// List implements vfs.FS.
func (fs *FS) List(dir string) ([]string, error) {
	if err := fs.maybeError(Op{Kind: OpList, Path: dir}); err != nil {
		return nil, err
	}
	return fs.inner.List(dir)
}

// Stat implements vfs.FS.
func (fs *FS) Stat(name string) (os.FileInfo, error) {
	if err := fs.maybeError(Op{Kind: OpStat, Path: name}); err != nil {
		return nil, err
	}
	return fs.inner.Stat(name)
}

// Lock implements vfs.FS. Closing the lock is an OpClose.
func (fs *FS) Lock(name string) (io.Closer, error) {
	if err := fs.maybeError(Op{Kind: OpLock, Path: name}); err != nil {
		return nil, err
	}
	l, err := fs.inner.Lock(name)
	if err != nil {
		return nil, err
	}
	return &lock{fs: fs, inner: l, path: name}, nil
}

// LockShared implements vfs.FS. It is an OpLock; closing the lock is an
// OpClose.
func (fs *FS) LockShared(name string) (io.Closer, error) {
	if err := fs.maybeError(Op{Kind: OpLock, Path: name}); err != nil {
		return nil, err
	}
	l, err := fs.inner.LockShared(name)
	if err != nil {
		return nil, err
	}
	return &lock{fs: fs, inner: l, path: name}, nil
}

// PathJoin implements vfs.FS; it is not an operation.
func (fs *FS) PathJoin(elem ...string) string { return fs.inner.PathJoin(elem...) }

// lock wraps a lock; an injected Close error still releases it.
type lock struct {
	fs    *FS
	inner io.Closer
	path  string
}

func (l *lock) Close() error {
	ierr := l.fs.maybeError(Op{Kind: OpClose, Path: l.path})
	err := l.inner.Close()
	if ierr != nil {
		return ierr
	}
	return err
}

// wrapFile wraps f, whose next Write goes at pos. It implements
// vfs.MappableFile exactly when f does.
func (fs *FS) wrapFile(f vfs.File, path string, pos int64) vfs.File {
	wf := &file{fs: fs, inner: f, path: path}
	wf.mu.pos = pos
	if mf, ok := f.(vfs.MappableFile); ok {
		return &mappableFile{file: wf, inner: mf}
	}
	return wf
}

// file wraps a vfs.File.
type file struct {
	fs    *FS
	inner vfs.File
	path  string
	mu    struct {
		sync.Mutex
		pos int64 // offset of the next Write, for Op.Offset
	}
}

var _ vfs.File = (*file)(nil)

func (f *file) Close() error {
	ierr := f.fs.maybeError(Op{Kind: OpClose, Path: f.path})
	err := f.inner.Close()
	if ierr != nil {
		return ierr
	}
	return err
}

func (f *file) ReadAt(p []byte, off int64) (int, error) {
	if err := f.fs.maybeError(Op{Kind: OpRead, Path: f.path, Offset: off}); err != nil {
		return 0, err
	}
	return f.inner.ReadAt(p, off)
}

func (f *file) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.fs.maybeError(Op{Kind: OpWrite, Path: f.path, Offset: f.mu.pos}); err != nil {
		n, werr := f.partialWrite(p, func(q []byte) (int, error) { return f.inner.Write(q) })
		f.mu.pos += int64(n)
		return n, joinErr(err, werr)
	}
	n, err := f.inner.Write(p)
	f.mu.pos += int64(n)
	return n, err
}

func (f *file) WriteAt(p []byte, off int64) (int, error) {
	if err := f.fs.maybeError(Op{Kind: OpWrite, Path: f.path, Offset: off}); err != nil {
		n, werr := f.partialWrite(p, func(q []byte) (int, error) { return f.inner.WriteAt(q, off) })
		return n, joinErr(err, werr)
	}
	return f.inner.WriteAt(p, off)
}

// partialWrite writes the prefix of p that a failed write leaves behind:
// nothing, or with WithPartialWrites a random prefix shorter than p.
func (f *file) partialWrite(p []byte, write func([]byte) (int, error)) (int, error) {
	if f.fs.partial == nil || len(p) == 0 {
		return 0, nil
	}
	k := f.fs.partial.prefix(len(p))
	if k == 0 {
		return 0, nil
	}
	return write(p[:k])
}

// joinErr returns the injected error, joined with the error of the
// partial write if that failed too.
func joinErr(injected, werr error) error {
	if werr != nil {
		return errors.Join(injected, werr)
	}
	return injected
}

func (f *file) Sync() error {
	if err := f.fs.maybeError(Op{Kind: OpSync, Path: f.path}); err != nil {
		return err
	}
	return f.inner.Sync()
}

func (f *file) Size() (int64, error) {
	if err := f.fs.maybeError(Op{Kind: OpStat, Path: f.path}); err != nil {
		return 0, err
	}
	return f.inner.Size()
}
