package tool

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tempestdb/tempest"
)

func TestDBCheck(t *testing.T) {
	dir := t.TempDir()
	sst := writeDB(t, dir, 2000)
	r := mustRun(t, "db", "check", "--dir", dir)
	if !strings.HasPrefix(r.stdout, "ok: ") || !strings.HasSuffix(r.stdout, " keys checked\n") {
		t.Fatalf("clean check: %v", r)
	}
	// Each of the 2000 keys was written once: the SSTs hold 2000 entries.
	if !strings.Contains(r.stdout, " 2000 keys checked") {
		t.Fatalf("clean check: want 2000 keys: %v", r)
	}

	flipByte(t, sst)
	r = expectFail(t, ExitFailure, "db check: 1 problem found in "+dir, "db", "check", "--dir", dir)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "check: corruption in "+sst) {
		t.Fatalf("corrupt check: want one line naming %s: %v", sst, r)
	}

	// Open itself fails: the report says so and names the file.
	if err := os.Truncate(sst, 100); err != nil {
		t.Fatal(err)
	}
	r = expectFail(t, ExitFailure, "db check: 1 problem found in "+dir, "db", "check", "--dir", dir)
	if !strings.HasPrefix(r.stdout, "open: corruption in "+sst) {
		t.Fatalf("unopenable DB: want a line naming %s: %v", sst, r)
	}
}

// TestDBCheckWholeFileChecksum replaces an SST with the table of the same
// number from a DB that wrote the same keys with other values of the same
// length. The copy passes every block check and says the same about
// itself as the original; db check reports it by the whole-file checksum.
func TestDBCheckWholeFileChecksum(t *testing.T) {
	dirs := []string{t.TempDir(), t.TempDir()}
	var ssts []string
	for i, dir := range dirs {
		db, err := tempest.Open(dir, &tempest.Options{Compression: tempest.NoCompression})
		if err != nil {
			t.Fatal(err)
		}
		for k := range 100 {
			if err := db.Set(fmt.Appendf(nil, "key%03d", k), bytes.Repeat([]byte{byte('x' + i)}, 50), tempest.NoSync); err != nil {
				t.Fatal(err)
			}
		}
		if err := errors.Join(db.Flush(), db.Close()); err != nil {
			t.Fatal(err)
		}
		ssts = append(ssts, largestSST(t, dir))
	}
	if filepath.Base(ssts[0]) != filepath.Base(ssts[1]) {
		t.Fatalf("the two DBs wrote %s and %s, want the same file number", ssts[0], ssts[1])
	}
	data, err := os.ReadFile(ssts[1])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ssts[0], data, 0o644); err != nil {
		t.Fatal(err)
	}
	r := expectFail(t, ExitFailure, "db check: 1 problem found in "+dirs[0], "db", "check", "--dir", dirs[0])
	if !strings.HasPrefix(r.stdout, "check: corruption in "+ssts[0]) || !strings.Contains(r.stdout, "whole-file checksum") {
		t.Fatalf("want a line naming %s and its whole-file checksum: %v", ssts[0], r)
	}
}

func TestDBMetricsAndLSM(t *testing.T) {
	dir := t.TempDir()
	writeDB(t, dir, 500)
	r := mustRun(t, "db", "metrics", "--dir", dir)
	if !strings.Contains(r.stdout, "level | files") || !strings.Contains(r.stdout, "memtables:") ||
		!strings.HasPrefix(r.stdout, fmt.Sprintf("format version: %d\n", tempest.FormatNewest)) {
		t.Fatalf("metrics: %v", r)
	}
	r = mustRun(t, "db", "lsm", "--dir", dir)
	if !strings.HasPrefix(r.stdout, "L0: ") || !strings.Contains(r.stdout, `keys ["key000000", `) ||
		!strings.Contains(r.stdout, "seqs [") || !strings.Contains(r.stdout, "total: ") {
		t.Fatalf("lsm: %v", r)
	}
}

// TestCleanCloseWALTail: a WAL cut after a clean close lost synced
// records; wal dump and db check report corruption naming it, not a torn
// tail.
func TestCleanCloseWALTail(t *testing.T) {
	dir := t.TempDir()
	writeDB(t, dir, 300)
	db, err := tempest.Open(dir, smallMemTable)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		if err := db.Set(fmt.Appendf(nil, "tail%03d", i), []byte("v"), tempest.Sync); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	wals, _ := filepath.Glob(filepath.Join(dir, "wal", "*.log"))
	if len(wals) != 1 {
		t.Fatalf("WALs %v, want the one of the last session", wals)
	}
	path := wals[0]
	r := mustRun(t, "wal", "dump", path)
	if !strings.Contains(r.stdout, "manifest: database closed cleanly yes, recorded closed with ") {
		t.Fatalf("wal dump of the intact log:\n%s", r.stdout)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, info.Size()/2); err != nil {
		t.Fatal(err)
	}
	r = expectFail(t, ExitFailure, "wal dump: corruption in "+path, "wal", "dump", path)
	if !strings.Contains(r.stdout, "torn tail yes") {
		t.Fatalf("the file alone reads as a torn tail:\n%s", r.stdout)
	}
	r = expectFail(t, ExitFailure, "db check: 1 problem found in "+dir, "db", "check", "--dir", dir)
	if !strings.HasPrefix(r.stdout, "open: corruption in "+path) {
		t.Fatalf("db check: want a line naming %s: %v", path, r)
	}
}

// TestDBCheckMissingManifest: a database whose manifest directory is gone
// is corrupt, not absent, and checking it creates nothing.
func TestDBCheckMissingManifest(t *testing.T) {
	dir := t.TempDir()
	writeDB(t, dir, 300)
	if err := os.RemoveAll(filepath.Join(dir, "manifest")); err != nil {
		t.Fatal(err)
	}
	r := expectFail(t, ExitFailure, "db check: 1 problem found in "+dir, "db", "check", "--dir", dir)
	if !strings.HasPrefix(r.stdout, "open: corruption in "+filepath.Join(dir, "manifest")) {
		t.Fatalf("db check: want a line naming the manifest: %v", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "manifest")); !os.IsNotExist(err) {
		t.Fatalf("the failed open left a manifest directory: %v", err)
	}
}

// TestDBUpgrade: db upgrade raises a version 1 database to the newest
// version, reports both, and refuses a version the binary does not know.
func TestDBUpgrade(t *testing.T) {
	dir := t.TempDir()
	d, err := tempest.Open(dir, &tempest.Options{FormatVersion: tempest.FormatVersion1})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	r := mustRun(t, "db", "upgrade", "--dir", dir)
	if want := fmt.Sprintf("format version 1 -> %d\n", tempest.FormatNewest); r.stdout != want {
		t.Fatalf("upgrade printed %q, want %q", r.stdout, want)
	}
	if r := run(t, "db", "upgrade", "--dir", dir, "--to", fmt.Sprint(tempest.FormatNewest+1)); r.code == 0 {
		t.Fatalf("upgrade to an unknown version: %v", r)
	}
}
