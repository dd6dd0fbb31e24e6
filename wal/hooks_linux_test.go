//go:build linux

package wal

import (
	"testing"

	"golang.org/x/sys/unix"
)

// mmapSupported is true where Writers map OS files.
const mmapSupported = true

// hookSyscalls routes the mapped path's fdatasync calls through fs, which
// counts them and fails them when armed, and with small shrinks the
// mapping's windows and preallocation. The cleanup restores everything.
func hookSyscalls(t testing.TB, fs *faultFS, small bool) {
	t.Helper()
	oldSync, oldWindow, oldMin, oldMax := fdatasync, mapWindow, preallocMin, preallocMax
	t.Cleanup(func() {
		fdatasync, mapWindow, preallocMin, preallocMax = oldSync, oldWindow, oldMin, oldMax
	})
	fdatasync = func(fd int) error {
		if err := fs.sync(); err != nil {
			return err
		}
		return unix.Fdatasync(fd)
	}
	if small {
		setSmall()
	}
}

// setSmall makes windows of 64 KiB and extensions of 64 to 256 KiB. The
// caller restores the defaults.
func setSmall() {
	mapWindow, preallocMin, preallocMax = 64<<10, 64<<10, 256<<10
}
