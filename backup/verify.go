package backup

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/tempestdb/tempest/internal/base"
)

// Verify checks that every file of backup id is in repo with the size and
// checksum its metadata records. A mismatch fails with ErrCorruption
// naming the stored file; a missing backup with ErrInvalidArgument.
func (o Options) Verify(repo string, id uint64) error {
	r := o.repo(repo)
	unlock, err := r.lockShared()
	if err != nil {
		return err
	}
	defer unlock()
	m, err := r.readMeta(id)
	if err != nil {
		return err
	}
	for _, f := range m.files {
		if err := r.checkStored(id, f, nil); err != nil {
			return fmt.Errorf("backup: verify %d: %w", id, err)
		}
	}
	return nil
}

// checkStored reads the stored copy of backup id's file f, writing its
// bytes to w if w is not nil, and checks its size and checksum. A missing
// or different file is ErrCorruption naming it.
func (r repoDirs) checkStored(id uint64, f fileEntry, w io.Writer) error {
	name := r.storedPath(id, f)
	size, sum, err := hashFile(r.fs, name, w)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return base.Corruptionf(name, 0, "file of backup %d missing", id)
	case err != nil:
		return err
	}
	if err := checkFile(name, f, size, sum); err != nil {
		return err
	}
	r.done(size)
	return nil
}

// checkFile compares a stored file's size and checksum with its entry.
func checkFile(name string, f fileEntry, size int64, sum uint64) error {
	switch {
	case size != f.size:
		return base.Corruptionf(name, size, "size %d, backup records %d", size, f.size)
	case sum != f.checksum:
		return base.Corruptionf(name, 0, "checksum %016x, backup records %016x", sum, f.checksum)
	}
	return nil
}
