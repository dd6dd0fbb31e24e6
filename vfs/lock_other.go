//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd || windows)

package vfs

import (
	"errors"
	"os"
)

// errLockUnsupported is returned by Default.Lock on platforms without a
// supported file-locking primitive.
var errLockUnsupported = errors.New("vfs: file locking is not supported on this platform")

func lockFile(*os.File) error   { return errLockUnsupported }
func unlockFile(*os.File) error { return nil }
