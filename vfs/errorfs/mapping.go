package errorfs

import (
	"bytes"
	"fmt"

	"github.com/tempestdb/tempest/vfs"
)

// mappableFile is a file whose wrapped file is a vfs.MappableFile. Its
// Mapping offers every Allocate, Store, Sync and Truncate to the Injector
// (Op.Mapped is set), so nothing is written past it. Map and Unmap change
// nothing on disk and are not operations.
type mappableFile struct {
	*file
	inner vfs.MappableFile
}

var _ vfs.MappableFile = (*mappableFile)(nil)

// Map implements vfs.MappableFile.
func (f *mappableFile) Map() (vfs.Mapping, error) {
	m, err := f.inner.Map()
	if err != nil {
		return nil, err
	}
	return &mapping{f: f.file, inner: m}, nil
}

// mapping wraps a vfs.Mapping. A failed operation does not reach the
// wrapped Mapping, except that a failed Store stores a random prefix
// first when the FS was built WithPartialWrites, as a copy that faults
// partway does.
type mapping struct {
	f     *file
	inner vfs.Mapping
}

func (m *mapping) op(kind OpKind, off int64) Op {
	return Op{Kind: kind, Path: m.f.path, Offset: off, Mapped: true}
}

// Allocate implements vfs.Mapping; it is an OpAllocate of size.
func (m *mapping) Allocate(size int64) error {
	if err := m.f.fs.maybeError(m.op(OpAllocate, size)); err != nil {
		return err
	}
	return m.inner.Allocate(size)
}

// Store implements vfs.Mapping; it is an OpWrite at off. A failure is
// reported as the memory fault it would be, an error matching both
// vfs.ErrMappingFault and the injected error; the partial store is a
// prefix of p's slices together.
func (m *mapping) Store(off int64, p ...[]byte) error {
	if err := m.f.fs.maybeError(m.op(OpWrite, off)); err != nil {
		_, werr := m.f.partialWrite(bytes.Join(p, nil), func(q []byte) (int, error) { return len(q), m.inner.Store(off, q) })
		return fmt.Errorf("%w: %w", vfs.ErrMappingFault, joinErr(err, werr))
	}
	return m.inner.Store(off, p...)
}

// Sync implements vfs.Mapping; it is an OpSync. A failed Sync does not
// sync the wrapped Mapping.
func (m *mapping) Sync() error {
	if err := m.f.fs.maybeError(m.op(OpSync, 0)); err != nil {
		return err
	}
	return m.inner.Sync()
}

// Truncate implements vfs.Mapping; it is an OpTruncate to size.
func (m *mapping) Truncate(size int64) error {
	if err := m.f.fs.maybeError(m.op(OpTruncate, size)); err != nil {
		return err
	}
	return m.inner.Truncate(size)
}

// Unmap implements vfs.Mapping.
func (m *mapping) Unmap() error { return m.inner.Unmap() }
