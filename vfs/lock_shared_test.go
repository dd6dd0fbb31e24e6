package vfs_test

import (
	"errors"
	"io"
	"os"
	"testing"

	"github.com/tempestdb/tempest/vfs"
)

// wantLocked checks that err is a *vfs.LockedError held in the given
// kind, matching ErrLocked.
func wantLocked(t *testing.T, err error, shared bool) {
	t.Helper()
	wantErrIs(t, err, vfs.ErrLocked)
	var le *vfs.LockedError
	if !errors.As(err, &le) {
		t.Fatalf("error %v is not a *vfs.LockedError", err)
	}
	if le.Shared != shared {
		t.Fatalf("LockedError.Shared = %v, want %v (%v)", le.Shared, shared, err)
	}
}

func testLockShared(t *testing.T, fs vfs.FS, dir string) {
	name := fs.PathJoin(dir, "LOCK")
	// A shared lock never creates its file.
	_, err := fs.LockShared(name)
	wantErrIs(t, err, os.ErrNotExist)
	if _, err := fs.Stat(name); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("LockShared of a missing file created it: %v", err)
	}
	// And a failed one holds nothing: Lock creates and takes it.
	l, err := fs.Lock(name)
	must(t, err)
	_, err = fs.LockShared(name)
	wantLocked(t, err, false)
	must(t, l.Close())

	// Shared locks coexist and exclude Lock until the last is released.
	var shared []io.Closer
	for range 3 {
		s, err := fs.LockShared(name)
		must(t, err)
		shared = append(shared, s)
	}
	for _, s := range shared {
		_, err = fs.Lock(name)
		wantLocked(t, err, true)
		must(t, s.Close())
	}
	if err := shared[0].Close(); err == nil {
		t.Fatal("second Close of a shared lock succeeded")
	}
	l, err = fs.Lock(name)
	must(t, err)
	must(t, l.Close())
	s, err := fs.LockShared(name)
	must(t, err)
	must(t, s.Close())
}
