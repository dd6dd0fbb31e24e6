//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package vfs

import (
	"errors"
	"os"
	"syscall"
)

// tryLockFile takes a non-blocking flock(2) on f, shared or exclusive. On
// failure, conflict reports whether a conflicting lock is held. The lock
// belongs to f's open file description and the kernel drops it when the
// process dies. A shared lock needs only read access to f.
func tryLockFile(f *os.File, shared bool) (conflict bool, err error) {
	how := syscall.LOCK_EX
	if shared {
		how = syscall.LOCK_SH
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return false, err
	}
	var lerr error
	if err := rc.Control(func(fd uintptr) {
		lerr = syscall.Flock(int(fd), how|syscall.LOCK_NB)
	}); err != nil {
		return false, err
	}
	return errors.Is(lerr, syscall.EWOULDBLOCK), lerr
}

// unlockFile releases the flock(2) on f.
func unlockFile(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var uerr error
	if err := rc.Control(func(fd uintptr) {
		uerr = syscall.Flock(int(fd), syscall.LOCK_UN)
	}); err != nil {
		return err
	}
	return uerr
}
