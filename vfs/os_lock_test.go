package vfs_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/vfs"
)

// lockChildEnv makes the test binary act as a second process that tries to
// take the lock at the given path and reports the outcome on stdout.
const lockChildEnv = "TEMPEST_VFS_LOCK_CHILD"

func lockChild(path string) {
	l, err := vfs.Default.Lock(path)
	switch {
	case err == nil:
		_ = l.Close()
		fmt.Println("ACQUIRED")
	case errors.Is(err, vfs.ErrLocked):
		fmt.Println("LOCKED")
	default:
		fmt.Println("ERROR", err)
	}
	os.Exit(0)
}

func runLockChild(t *testing.T, path string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), lockChildEnv+"="+path)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v", err)
	}
	return strings.TrimSpace(string(out))
}

func TestOSLockAcrossProcesses(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("re-exec lock test runs on unix only")
	}
	path := filepath.Join(t.TempDir(), "LOCK")
	l, err := vfs.Default.Lock(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := runLockChild(t, path); got != "LOCKED" {
		t.Fatalf("child while parent holds the lock: got %q, want LOCKED", got)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if got := runLockChild(t, path); got != "ACQUIRED" {
		t.Fatalf("child after release: got %q, want ACQUIRED", got)
	}
	// And the parent can take it again.
	l, err = vfs.Default.Lock(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err == nil {
		t.Fatal("second Close of a lock succeeded")
	}
}
