//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd || windows)

package vfs

import (
	"errors"
	"os"
)

// errLockUnsupported is returned by Default.Lock and Default.LockShared on
// platforms without a supported file-locking primitive.
var errLockUnsupported = errors.New("vfs: file locking is not supported on this platform")

func tryLockFile(*os.File, bool) (conflict bool, err error) { return false, errLockUnsupported }
func unlockFile(*os.File) error                             { return nil }
