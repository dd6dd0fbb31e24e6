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
// take the lock at the given path and reports the outcome on stdout;
// lockChildSharedEnv makes it take a shared lock.
const (
	lockChildEnv       = "TEMPEST_VFS_LOCK_CHILD"
	lockChildSharedEnv = "TEMPEST_VFS_LOCK_CHILD_SHARED"
)

func lockChild(path string) {
	lock := vfs.Default.Lock
	if os.Getenv(lockChildSharedEnv) != "" {
		lock = vfs.Default.LockShared
	}
	l, err := lock(path)
	var le *vfs.LockedError
	switch {
	case err == nil:
		_ = l.Close()
		fmt.Println("ACQUIRED")
	case errors.As(err, &le) && le.Shared:
		fmt.Println("LOCKED shared")
	case errors.Is(err, vfs.ErrLocked):
		fmt.Println("LOCKED")
	default:
		fmt.Println("ERROR", err)
	}
	os.Exit(0)
}

func runLockChild(t *testing.T, path string) string {
	t.Helper()
	return runLockChildMode(t, path, false)
}

func runLockChildMode(t *testing.T, path string, shared bool) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), lockChildEnv+"="+path)
	if shared {
		cmd.Env = append(cmd.Env, lockChildSharedEnv+"=1")
	}
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

// TestOSLockSharedAcrossProcesses checks shared and exclusive locks
// against another process: shared locks coexist, each kind excludes the
// other, and the refused side learns which kind is held.
func TestOSLockSharedAcrossProcesses(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("re-exec lock test runs on unix only")
	}
	path := filepath.Join(t.TempDir(), "LOCK")
	l, err := vfs.Default.Lock(path) // creates the file
	if err != nil {
		t.Fatal(err)
	}
	if got := runLockChildMode(t, path, true); got != "LOCKED" {
		t.Fatalf("shared child while parent holds it exclusively: got %q, want LOCKED", got)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := vfs.Default.LockShared(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := runLockChildMode(t, path, true); got != "ACQUIRED" {
		t.Fatalf("shared child while parent holds it shared: got %q, want ACQUIRED", got)
	}
	if got := runLockChildMode(t, path, false); got != "LOCKED shared" {
		t.Fatalf("exclusive child while parent holds it shared: got %q, want LOCKED shared", got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got := runLockChildMode(t, path, false); got != "ACQUIRED" {
		t.Fatalf("exclusive child after release: got %q, want ACQUIRED", got)
	}
}
