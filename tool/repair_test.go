package tool

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDBRepair runs db repair in process: an intact database repairs with
// exit 0 into a copy with the same contents; one with a deleted SST exits
// 1 with a "lost:" line naming it, and its output checks clean; one
// without a manifest exits 0; a wrong command line exits 2.
func TestDBRepair(t *testing.T) {
	tmp := t.TempDir()
	src := filepath.Join(tmp, "db")
	writeDB(t, src, 1000)
	dump := mustRun(t, "dump", "--dir", src).stdout

	out := filepath.Join(tmp, "intact")
	r := mustRun(t, "db", "repair", src, out)
	if !strings.Contains(r.stdout, "result: nothing lost") {
		t.Fatalf("intact: %v", r)
	}
	if got := mustRun(t, "dump", "--dir", out).stdout; got != dump {
		t.Fatal("the repaired copy differs from the source")
	}
	expectFail(t, ExitFailure, out+" exists", "db", "repair", src, out)
	expectFail(t, ExitUsage, "db repair: accepts 2 arg(s), received 1", "db", "repair", src)

	victim := largestSST(t, src)
	if err := os.Remove(victim); err != nil {
		t.Fatal(err)
	}
	lost := filepath.Join(tmp, "lost")
	r = expectFail(t, ExitFailure, "db repair: 1 loss (listed above); "+lost+" holds everything else", "db", "repair", src, lost)
	if !strings.Contains(r.stdout, "lost: "+victim+": whole file; keys [") {
		t.Fatalf("the report does not name %s: %v", victim, r)
	}
	if got := mustRun(t, "db", "check", "--dir", lost).stdout; !strings.HasPrefix(got, "ok: ") {
		t.Fatalf("db check of the output: %q", got)
	}

	nomanifest := filepath.Join(tmp, "nomanifest")
	writeDB(t, nomanifest, 500)
	if err := os.RemoveAll(filepath.Join(nomanifest, "manifest")); err != nil {
		t.Fatal(err)
	}
	r = mustRun(t, "db", "repair", nomanifest, filepath.Join(tmp, "fromfiles"))
	if !strings.Contains(r.stdout, "manifest: missing") || !strings.Contains(r.stdout, "result: nothing lost") {
		t.Fatalf("without a manifest: %v", r)
	}
}
