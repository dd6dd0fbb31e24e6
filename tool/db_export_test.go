package tool

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDBExportIngest runs db export and db ingest in process: a range
// exported from one database and ingested into another dumps there as in
// the source, both check clean, and the source is unchanged. An existing
// destination, a missing file and a damaged file exit 1 and change
// nothing; missing arguments exit 2.
func TestDBExportIngest(t *testing.T) {
	tmp := t.TempDir()
	src, dst := filepath.Join(tmp, "src"), filepath.Join(tmp, "dst")
	writeDB(t, src, 1000)
	writeDB(t, dst, 50)
	rangeArgs := []string{"--lower", "key000100", "--upper", "key000700"}
	srcRange := mustRun(t, append([]string{"dump", "--dir", src}, rangeArgs...)...).stdout
	srcAll := mustRun(t, "dump", "--dir", src).stdout
	dstAll := mustRun(t, "dump", "--dir", dst).stdout

	out := filepath.Join(tmp, "export")
	r := mustRun(t, append([]string{"db", "export", "--dir", src}, append(rangeArgs, out)...)...)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if !regexp.MustCompile(`^export `+regexp.QuoteMeta(out)+`: [1-9][0-9]* files$`).MatchString(lines[0]) || len(lines) < 2 {
		t.Fatalf("export output: %v", r)
	}
	files := lines[1:]
	expectFail(t, ExitFailure, out+" exists", append([]string{"db", "export", "--dir", src}, out)...)
	expectFail(t, ExitUsage, "db export: accepts 1 arg(s), received 0", "db", "export", "--dir", src)

	expectFail(t, ExitFailure, "missing.sst", "db", "ingest", "--dir", dst, filepath.Join(tmp, "missing.sst"))
	damaged := filepath.Join(tmp, "damaged.sst")
	data, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x10
	if err := os.WriteFile(damaged, data, 0o644); err != nil {
		t.Fatal(err)
	}
	expectFail(t, ExitFailure, "damaged.sst", "db", "ingest", "--dir", dst, damaged)
	expectFail(t, ExitUsage, "db ingest: requires at least 1 arg(s), only received 0", "db", "ingest", "--dir", dst)
	if got := mustRun(t, "dump", "--dir", dst).stdout; got != dstAll {
		t.Fatal("a refused ingest changed the database")
	}

	r = mustRun(t, append([]string{"db", "ingest", "--dir", dst}, files...)...)
	if !regexp.MustCompile(`^ingest: [1-9][0-9]* files, token [1-9][0-9]*\n$`).MatchString(r.stdout) {
		t.Fatalf("ingest output: %v", r)
	}
	if got := mustRun(t, append([]string{"dump", "--dir", dst}, rangeArgs...)...).stdout; got != srcRange {
		t.Fatal("the ingested range differs from the source's")
	}
	if got := mustRun(t, "dump", "--dir", dst, "--upper", "key000100").stdout; got != dstAll {
		t.Fatal("the keys below the range changed")
	}
	for _, dir := range []string{src, dst} {
		if got := mustRun(t, "db", "check", "--dir", dir).stdout; !strings.HasPrefix(got, "ok: ") {
			t.Fatalf("check of %s: %s", dir, got)
		}
	}
	if got := mustRun(t, "dump", "--dir", src).stdout; got != srcAll {
		t.Fatal("the source changed")
	}
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("the ingest consumed its input: %v", err)
		}
	}
}
