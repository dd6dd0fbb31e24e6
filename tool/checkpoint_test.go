package tool

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDBCheckpoint runs db checkpoint in process: it prints the token,
// the copy checks clean and dumps as the source does; an existing
// destination exits 1 and a missing argument exits 2.
func TestDBCheckpoint(t *testing.T) {
	tmp := t.TempDir()
	src := filepath.Join(tmp, "db")
	writeDB(t, src, 1000)
	mustRun(t, "delete", "--dir", src, "key000007")
	dump := mustRun(t, "dump", "--dir", src).stdout

	dst := filepath.Join(tmp, "ck")
	r := mustRun(t, "db", "checkpoint", "--dir", src, dst)
	if !regexp.MustCompile(`^checkpoint ` + regexp.QuoteMeta(dst) + `: token [1-9][0-9]*\n$`).MatchString(r.stdout) {
		t.Fatalf("output: %v", r)
	}
	if got := mustRun(t, "dump", "--dir", dst).stdout; got != dump {
		t.Fatal("the checkpoint differs from the source")
	}
	if got := mustRun(t, "db", "check", "--dir", dst).stdout; !strings.HasPrefix(got, "ok: ") {
		t.Fatalf("check of the checkpoint: %s", got)
	}
	expectFail(t, ExitFailure, dst+" exists", "db", "checkpoint", "--dir", src, dst)
	expectFail(t, ExitUsage, "db checkpoint: accepts 1 arg(s), received 0", "db", "checkpoint", "--dir", src)
	if got := mustRun(t, "dump", "--dir", src).stdout; got != dump {
		t.Fatal("the source changed")
	}
}
