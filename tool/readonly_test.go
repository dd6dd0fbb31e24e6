package tool

import (
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tempestdb/tempest"
)

// dirTree maps every entry under root to its mode and bytes.
func dirTree(t *testing.T, root string) map[string]string {
	t.Helper()
	out := make(map[string]string)
	err := filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		var b []byte
		if info.Mode().IsRegular() {
			if b, err = os.ReadFile(path); err != nil {
				return err
			}
		}
		out[path] = info.Mode().String() + " " + string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestReadingCommandsChangeNothing runs every command that reads a
// database on one whose last writes are only in its WAL, while a
// read-only open holds it: each succeeds (they open read-only and share
// it), the writing commands are refused, and no byte of the directory
// changes.
func TestReadingCommandsChangeNothing(t *testing.T) {
	dir := t.TempDir()
	sst := writeDB(t, dir, 2000)
	db, err := tempest.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Set([]byte("wal-only"), []byte("in the log"), tempest.NoSync); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil { // Close leaves the memtable in the WAL
		t.Fatal(err)
	}
	wals, _ := filepath.Glob(filepath.Join(dir, "wal", "*.log"))
	if len(wals) == 0 {
		t.Fatal("no WAL")
	}
	before := dirTree(t, dir)

	holder, err := tempest.Open(dir, &tempest.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	d := "--dir=" + dir
	if got := mustRun(t, "get", d, "wal-only").stdout; got != "in the log\n" {
		t.Fatalf("get: %q", got)
	}
	if got := mustRun(t, "scan", d, "--lower", "wal", "--limit", "1").stdout; !strings.Contains(got, `"in the log"`) {
		t.Fatalf("scan: %q", got)
	}
	if got := mustRun(t, "dump", d).stdout; strings.Count(got, "\n") != 2001 {
		t.Fatalf("dump: %d lines, want 2001", strings.Count(got, "\n"))
	}
	if got := mustRun(t, "db", "check", d).stdout; !strings.HasPrefix(got, "ok: ") {
		t.Fatalf("db check: %q", got)
	}
	mustRun(t, "db", "lsm", d)
	mustRun(t, "db", "metrics", d)
	mustRun(t, "manifest", "dump", dir)
	mustRun(t, "wal", "dump", wals[len(wals)-1])
	mustRun(t, "sstable", "dump", sst)
	mustRun(t, "sstable", "check", sst)
	mustRun(t, "sstable", "properties", sst)
	locked := "database at " + dir + " is locked: another process has it open read-only"
	expectFail(t, ExitFailure, locked, "put", d, "k", "v")
	expectFail(t, ExitFailure, locked, "delete", d, "wal-only")
	if err := holder.Close(); err != nil {
		t.Fatal(err)
	}
	if after := dirTree(t, dir); !maps.Equal(before, after) {
		for p := range maps.Keys(after) {
			if before[p] != after[p] {
				t.Errorf("%s changed", p)
			}
		}
		t.Fatal("reading commands changed the database directory")
	}
}
