package vfs

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestLockStillNamed: a lock taken on a file that is no longer at its
// path (removed, or replaced by another file, by a holder that gave up)
// is refused with ErrLocked; one on the file at the path is kept.
func TestLockStillNamed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "LOCK")
	open := func() *os.File {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	f := open()
	if err := stillNamed(f, path); err != nil {
		t.Fatalf("intact: %v", err)
	}
	if err := os.Remove(path); err != nil {
		t.Skipf("cannot remove an open file here: %v", err)
	}
	if err := stillNamed(f, path); !errors.Is(err, ErrLocked) {
		t.Fatalf("removed: %v, want ErrLocked", err)
	}
	open() // another file now has the name
	if err := stillNamed(f, path); !errors.Is(err, ErrLocked) {
		t.Fatalf("replaced: %v, want ErrLocked", err)
	}
}
