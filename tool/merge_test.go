package tool

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestMergeCounter(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	d := "--dir=" + dir
	m := "--merger=uint64add"
	mustRun(t, "merge", d, m, "hits", "5")
	mustRun(t, "merge", d, m, "hits", "37")
	mustRun(t, "merge", d, m, "misses", "1")
	if r := mustRun(t, "get", d, m, "hits"); r.stdout != "42\n" {
		t.Fatalf("get hits: %q, want 42", r.stdout)
	}
	if r := mustRun(t, "get", d, m, "--hex", "68697473"); r.stdout != "2a00000000000000\n" {
		t.Fatalf("get --hex hits: %q", r.stdout)
	}
	if r := mustRun(t, "scan", d, m); r.stdout != "\"hits\" 42\n\"misses\" 1\n" {
		t.Fatalf("scan:\n%s", r.stdout)
	}
	if r := mustRun(t, "scan", d, m, "--reverse"); r.stdout != "\"misses\" 1\n\"hits\" 42\n" {
		t.Fatalf("scan --reverse:\n%s", r.stdout)
	}
	// A Set under the counter, then an operand over it.
	mustRun(t, "put", d, m, "--hex", "6869747300", "0a00000000000000")
	mustRun(t, "merge", d, m, "--hex", "6869747300", "0100000000000000")
	if r := mustRun(t, "get", d, m, "--hex", "6869747300"); r.stdout != "0b00000000000000\n" {
		t.Fatalf("get after put and merge: %q", r.stdout)
	}
	// The WAL dump shows the operands.
	logs, err := filepath.Glob(filepath.Join(dir, "wal", "*.log"))
	if err != nil || len(logs) == 0 {
		t.Fatalf("no WAL: %v", err)
	}
	if r := mustRun(t, "wal", "dump", logs[len(logs)-1]); !strings.Contains(r.stdout, `MERGE "hits\x00" "\x01\x00`) {
		t.Fatalf("wal dump shows no MERGE entry:\n%s", r.stdout)
	}

	// The database recorded the merger: every command needs it.
	for _, args := range [][]string{{"get", d, "hits"}, {"scan", d}, {"put", d, "k", "v"}} {
		expectFail(t, ExitFailure, "uses merger \"tempest.uint64add\": give --merger uint64add", args...)
	}
	expectFail(t, ExitUsage, "merge needs --merger uint64add", "merge", d, "hits", "1")
	expectFail(t, ExitUsage, "unknown merger \"max\"", "merge", d, "--merger=max", "hits", "1")
	expectFail(t, ExitUsage, "want a decimal integer", "merge", d, m, "hits", "1.5")
	if r := mustRun(t, "get", d, m, "hits"); r.stdout != "42\n" {
		t.Fatalf("get hits after refused commands: %q, want 42", r.stdout)
	}
}
