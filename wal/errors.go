package wal

import (
	"fmt"

	"github.com/tempestdb/tempest/internal/base"
)

// FileNumMismatchError reports a WAL whose header names a different file
// number than the one its name (or the manifest) implies: the file was
// copied or renamed, or its header is damaged. It matches
// base.ErrCorruption.
type FileNumMismatchError struct {
	File     string
	Expected base.FileNum
	Got      base.FileNum
}

func (e *FileNumMismatchError) Error() string {
	return fmt.Sprintf("tempest: corruption in %s at offset %d: wal header corrupted: expected filenum %d but got %d",
		e.File, len(magic), uint64(e.Expected), uint64(e.Got))
}

// Is makes errors.Is(err, base.ErrCorruption) true.
func (e *FileNumMismatchError) Is(target error) bool { return target == base.ErrCorruption }
