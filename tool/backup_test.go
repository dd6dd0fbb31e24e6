package tool

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestBackupCommands runs the backup commands in process: create prints
// increasing IDs, list shows them, each restores to the state it was
// taken at, purge keeps the newest, and a missing --repo or --keep exits
// 2.
func TestBackupCommands(t *testing.T) {
	tmp := t.TempDir()
	src, repo := filepath.Join(tmp, "db"), filepath.Join(tmp, "repo")
	writeDB(t, src, 500)
	dumps := []string{mustRun(t, "dump", "--dir", src).stdout}
	if r := mustRun(t, "backup", "create", "--dir", src, "--repo", repo); r.stdout != "1\n" {
		t.Fatalf("first create: %v", r)
	}
	mustRun(t, "delete", "--dir", src, "key000007")
	dumps = append(dumps, mustRun(t, "dump", "--dir", src).stdout)
	if r := mustRun(t, "backup", "create", "--dir", src, "--repo", repo); r.stdout != "2\n" {
		t.Fatalf("second create: %v", r)
	}
	if lines := strings.Split(strings.TrimSpace(mustRun(t, "backup", "list", "--repo", repo).stdout), "\n"); len(lines) != 3 {
		t.Fatalf("list: %q", lines)
	}
	for i, id := range []string{"1", "2"} {
		mustRun(t, "backup", "verify", "--repo", repo, "--id", id)
		dst := filepath.Join(tmp, "restore"+id)
		mustRun(t, "backup", "restore", "--repo", repo, "--id", id, "--to", dst)
		if got := mustRun(t, "dump", "--dir", dst).stdout; got != dumps[i] {
			t.Fatalf("backup %s restores to a different state", id)
		}
	}
	mustRun(t, "backup", "purge", "--repo", repo, "--keep", "1")
	if lines := strings.Split(strings.TrimSpace(mustRun(t, "backup", "list", "--repo", repo).stdout), "\n"); len(lines) != 2 || !strings.HasPrefix(lines[1], "2 ") {
		t.Fatalf("list after purge: %q", lines)
	}
	expectFail(t, ExitFailure, "no backup 1", "backup", "verify", "--repo", repo, "--id", "1")
	expectFail(t, ExitUsage, "--repo is required", "backup", "list")
	expectFail(t, ExitUsage, "--keep is required", "backup", "purge", "--repo", repo)
}
