package tool

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/vfs"
	"github.com/tempestdb/tempest/wal"
)

// TestWALDumpRangeDelete dumps a WAL the engine wrote, holding a range
// deletion: the dump decodes it and shows the range.
func TestWALDumpRangeDelete(t *testing.T) {
	dir := t.TempDir()
	db, err := tempest.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Set([]byte("b"), []byte("1"), tempest.Sync); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteRange([]byte("a"), []byte("m"), tempest.Sync); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	names, err := vfs.Default.List(filepath.Join(dir, "wal"))
	if err != nil {
		t.Fatal(err)
	}
	var path string
	for _, name := range names {
		if _, ok := wal.ParseFileName(name); ok {
			path = filepath.Join(dir, "wal", name)
		}
	}
	if path == "" {
		t.Fatalf("no WAL in %v", names)
	}
	r := mustRun(t, "wal", "dump", path)
	for _, want := range []string{`SET "b" "1"`, `RANGEDEL ["a", "m")`, "clean close yes"} {
		if !strings.Contains(r.stdout, want) {
			t.Fatalf("wal dump lacks %q:\n%s", want, r.stdout)
		}
	}
}
