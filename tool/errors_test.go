package tool

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tempestdb/tempest"
)

func TestUsageErrors(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	d := "--dir=" + dir
	for _, tc := range []struct {
		want string
		args []string
	}{
		{"missing command", nil},
		{`unknown command "frobnicate"`, []string{"frobnicate"}},
		{"db: missing command, one of: check, checkpoint, export, ingest, lsm, metrics, repair", []string{"db"}},
		{`db: unknown command "fix"`, []string{"db", "fix"}},
		{"get: accepts 1 arg(s), received 0", []string{"get", d}},
		{"put: accepts 2 arg(s), received 1", []string{"put", d, "k"}},
		{"scan: unknown flag: --bogus", []string{"scan", d, "--bogus"}},
		{"scan: invalid argument \"x\" for \"--limit\"", []string{"scan", d, "--limit", "x"}},
		{"--limit -1: must not be negative", []string{"scan", d, "--limit", "-1"}},
		{"--logical needs --prefix", []string{"scan", d, "--logical"}},
		{`key "zz" is not hexadecimal`, []string{"put", d, "--hex", "zz", "00"}},
		{`--format "xml": want json or hex`, []string{"dump", d, "--format", "xml"}},
		{`--progress "loud"`, []string{"scan", d, "--progress", "loud"}},
		{`unknown comparer "reverse"`, []string{"scan", d, "--comparer", "reverse"}},
		{"suffix length must be a number", []string{"scan", d, "--comparer", "fixed-suffix:0"}},
		{"sstable dump: accepts 1 arg(s), received 0", []string{"sstable", "dump"}},
		{"--num -5: must be at least 1", []string{"bench", "--num", "-5", "--dir", dir}},
		{`--engine: unknown engine "nope"`, []string{"bench", "--engine", "nope", "--dir", dir}},
		{`version: unknown command "x"`, []string{"version", "x"}},
	} {
		expectFail(t, ExitUsage, tc.want, tc.args...)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("a usage error created %s", dir)
	}
}

func TestLockedDirectory(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "put", "--dir", dir, "k", "v")
	db, err := tempest.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, args := range [][]string{
		{"get", "--dir", dir, "k"}, {"put", "--dir", dir, "k", "w"}, {"db", "check", "--dir", dir},
	} {
		expectFail(t, ExitFailure, "database at "+dir+" is locked: another process has it open", args...)
	}
}

func TestMissingFiles(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	for _, args := range [][]string{
		{"sstable", "dump", missing}, {"sstable", "check", missing}, {"sstable", "properties", missing},
		{"wal", "dump", missing}, {"load", "--dir", t.TempDir(), missing},
	} {
		expectFail(t, ExitFailure, "no such file: "+missing, args...)
	}
	expectFail(t, ExitFailure, "no database at "+missing, "manifest", "dump", missing)
}

func TestCorruptDatabase(t *testing.T) {
	dir := t.TempDir()
	sst := writeDB(t, dir, 2000)
	flipByte(t, sst)
	// Reads that reach the damaged block fail with the corruption named.
	expectFail(t, ExitFailure, "database at "+dir+" is corrupt: corruption in "+sst, "scan", "--dir", dir)

	// A database whose SST is shorter than the manifest says cannot be
	// opened at all.
	if err := os.Truncate(sst, 100); err != nil {
		t.Fatal(err)
	}
	expectFail(t, ExitFailure, "database at "+dir+" is corrupt: corruption in "+sst, "get", "--dir", dir, "key000001")
}

func TestMessage(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"tempest: corruption in x: bad", "corruption in x: bad"},
		{"a\nb\n", "a; b"},
	} {
		if got := message(errString(tc.in)); got != tc.want {
			t.Errorf("message(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

type errString string

func (e errString) Error() string { return string(e) }
