package tool

import (
	"os"
	"strings"
	"testing"
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

func TestDBMetricsAndLSM(t *testing.T) {
	dir := t.TempDir()
	writeDB(t, dir, 500)
	r := mustRun(t, "db", "metrics", "--dir", dir)
	if !strings.Contains(r.stdout, "level | files") || !strings.Contains(r.stdout, "memtables:") {
		t.Fatalf("metrics: %v", r)
	}
	r = mustRun(t, "db", "lsm", "--dir", dir)
	if !strings.HasPrefix(r.stdout, "L0: ") || !strings.Contains(r.stdout, `keys ["key000000", `) ||
		!strings.Contains(r.stdout, "seqs [") || !strings.Contains(r.stdout, "total: ") {
		t.Fatalf("lsm: %v", r)
	}
}
