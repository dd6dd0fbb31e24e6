package vfs

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
)

// Linker is an FS capability: Link makes newname a second name of the
// file oldname (a hard link). The new entry is durable only after its
// directory is synced. Link fails if newname exists, or, with an error
// matching syscall.EXDEV, if the two names are on different file systems.
// An FS that does not know the capability (a wrapper that cannot see
// through it, say) does not implement it, and callers copy instead.
type Linker interface {
	Link(oldname, newname string) error
}

// Link makes newname a hard link to oldname.
func (osFS) Link(oldname, newname string) error { return os.Link(oldname, newname) }

var _ Linker = osFS{}

// LinkOrCopy makes newname hold the bytes of oldname, which must not
// change meanwhile: a hard link when fs is a Linker and both names are on
// one file system, else a copy, written and synced. It reports whether it
// linked. Either way newname's directory entry is durable only after its
// directory is synced. On failure it removes newname if it created it.
func LinkOrCopy(fs FS, oldname, newname string) (linked bool, err error) {
	if l, ok := fs.(Linker); ok {
		err := l.Link(oldname, newname)
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, syscall.EXDEV) && !errors.Is(err, errors.ErrUnsupported) {
			return false, err
		}
	}
	return false, CopyFile(fs, oldname, newname)
}

// CopyFile writes a copy of oldname to newname and syncs it. On failure
// it removes newname.
func CopyFile(fs FS, oldname, newname string) (err error) {
	src, err := fs.Open(oldname)
	if err != nil {
		return err
	}
	defer src.Close()
	size, err := src.Size()
	if err != nil {
		return err
	}
	dst, err := fs.Create(newname)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := dst.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			_ = fs.Remove(newname)
		}
	}()
	n, err := io.Copy(dst, io.NewSectionReader(src, 0, size))
	if err != nil {
		return fmt.Errorf("copy %s to %s: %w", oldname, newname, err)
	}
	if n != size {
		return fmt.Errorf("copy %s to %s: copied %d of %d bytes", oldname, newname, n, size)
	}
	return dst.Sync()
}
