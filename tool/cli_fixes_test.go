package tool

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tempestdb/tempest"
)

// TestPutRefusesForeignDirectory: put into a directory that holds other
// files and no database refuses with a usage error and leaves the
// directory as it was; into an empty or new one, it creates the
// database.
func TestPutRefusesForeignDirectory(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	expectFail(t, ExitUsage, "is not empty and holds no database (it has notes.txt)", "put", "--dir", dir, "k", "v")
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 {
		t.Fatalf("the refused put left %v (%v)", entries, err)
	}
	for _, d := range []string{t.TempDir(), filepath.Join(t.TempDir(), "new")} {
		mustRun(t, "put", "--dir", d, "k", "v")
		if r := mustRun(t, "get", "--dir", d, "k"); r.stdout != "v\n" {
			t.Fatalf("get after put into %s: %q", d, r.stdout)
		}
	}
}

// TestVersion: `tempest version` and `tempest --version` print the
// version and the format versions.
func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		r := mustRun(t, args...)
		for _, want := range []string{"tempest ", "database format versions: 1 to ", "sstable format versions: up to "} {
			if !strings.Contains(r.stdout, want) {
				t.Fatalf("%v printed %q, lacking %q", args, r.stdout, want)
			}
		}
		if !strings.Contains(r.stdout, fmt.Sprintf("(new databases: %d)", tempest.FormatNewest)) {
			t.Fatalf("%v: %q does not name the newest format", args, r.stdout)
		}
	}
}

// TestBenchCreatesDir: bench --dir makes the directory it is given.
func TestBenchCreatesDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	out, errOut, err := runBenchCmd(t, "--num=50", "--benchmarks=fillseq", "--memtable-size=256KiB", "--dir="+dir)
	if err != nil {
		t.Fatalf("%v\n%s\n%s", err, out, errOut)
	}
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		t.Fatalf("bench did not create --dir %s: %v", dir, err)
	}
}

// TestWALDumpNotALog: wal dump of a file that is not a WAL says so and
// prints no header line.
func TestWALDumpNotALog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(path, []byte("these are notes, not a log"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := expectFail(t, ExitFailure, "not a write-ahead log file", "wal", "dump", path)
	if r.stdout != "" {
		t.Fatalf("wal dump of a non-log printed %q", r.stdout)
	}
}
