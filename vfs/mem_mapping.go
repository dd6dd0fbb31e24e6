package vfs

import (
	"errors"
	"fmt"
	"os"
)

// SetMappable makes the files of fs offer writing through a mapping
// (MappableFile.Map succeeds), as files of Default do on linux, or not
// (Map fails with errors.ErrUnsupported, as on a file system that cannot
// map files), which is the default. Mappings made before the call stay.
// CrashClone copies the setting.
func (fs *MemFS) SetMappable(on bool) { fs.mappable.Store(on) }

var _ MappableFile = (*memFile)(nil)

// Map implements MappableFile.
func (f *memFile) Map() (Mapping, error) {
	switch {
	case f.closed.Load():
		return nil, f.pathErr("mmap", os.ErrClosed)
	case f.n.isDir:
		return nil, f.pathErr("mmap", errIsDir)
	case !f.writable:
		return nil, f.pathErr("mmap", errReadOnlyHandle)
	case !f.fs.mappable.Load():
		return nil, f.pathErr("mmap", errors.ErrUnsupported)
	}
	return &memMapping{f: f}, nil
}

// memMapping imitates the Mapping of a file of Default on linux. Its
// allocated size is the file's size. A Store is a write, with everything
// the crash model says of writes: an unsynced block survives a power loss
// at the chosen rate, and the last store may be torn. Allocate and
// Truncate change the size, which a crash keeps or undoes as a whole
// until the next Sync (see mem_crash.go); the space Allocate adds reads
// as zeros. Sync is File.Sync. A store past the size, which would raise
// SIGBUS on linux, fails with ErrMappingFault.
type memMapping struct {
	f        *memFile
	unmapped bool
}

func (m *memMapping) usable(op string) error {
	if m.unmapped {
		return m.f.pathErr(op, os.ErrClosed)
	}
	return nil
}

// Allocate implements Mapping.
func (m *memMapping) Allocate(size int64) error {
	if err := m.usable("fallocate"); err != nil {
		return err
	}
	n := m.f.n
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.allocateLocked(size); err != nil {
		return m.f.pathErr("fallocate", err)
	}
	return nil
}

// Store implements Mapping: one write of p's slices together.
func (m *memMapping) Store(off int64, p ...[]byte) error {
	if err := m.usable("store"); err != nil {
		return err
	}
	n := m.f.n
	n.mu.Lock()
	defer n.mu.Unlock()
	size := storeLen(p)
	if off < 0 || off > n.mu.size-size {
		return m.f.pathErr("store", fmt.Errorf("%w: %d bytes at offset %d, allocated %d",
			ErrMappingFault, size, off, n.mu.size))
	}
	at := off
	for _, q := range p {
		if err := n.writeAtLocked(q, at); err != nil {
			return m.f.pathErr("store", err)
		}
		at += int64(len(q))
	}
	if size > 0 {
		m.f.fs.recordWrite(n, off, size, n.mu.syncEpoch)
	}
	return nil
}

// Sync implements Mapping.
func (m *memMapping) Sync() error {
	if err := m.usable("fdatasync"); err != nil {
		return err
	}
	n := m.f.n
	n.mu.Lock()
	defer n.mu.Unlock()
	n.syncLocked()
	return nil
}

// Truncate implements Mapping.
func (m *memMapping) Truncate(size int64) error {
	if err := m.usable("truncate"); err != nil {
		return err
	}
	n := m.f.n
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.truncateLocked(size); err != nil {
		return m.f.pathErr("truncate", err)
	}
	return nil
}

// Unmap implements Mapping.
func (m *memMapping) Unmap() error {
	if err := m.usable("munmap"); err != nil {
		return err
	}
	m.unmapped = true
	return nil
}
