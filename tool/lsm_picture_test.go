package tool

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/internal/manifest"
	"github.com/tempestdb/tempest/internal/testutil"
	"github.com/tempestdb/tempest/journal"
	"github.com/tempestdb/tempest/vfs"
)

// lsmPictureOptions make a small database flush and compact often, down
// to L2 and beyond.
var lsmPictureOptions = tempest.Options{
	MemTableSize: tempest.MinMemTableSize, L0CompactionThreshold: 2,
	LBaseMaxBytes: 128 << 10, TargetFileSize: 32 << 10, LevelMultiplier: 4,
}

// driveLSM writes n keys in a random order through a database opened with
// lsmPictureOptions, and returns it open.
func driveLSM(t *testing.T, dir string, n int) *tempest.DB {
	t.Helper()
	rng := testutil.NewRand(testutil.Seed(t))
	opts := lsmPictureOptions
	db, err := tempest.Open(dir, &opts)
	if err != nil {
		t.Fatal(err)
	}
	value := make([]byte, 100)
	for _, i := range rng.Perm(n) {
		if err := db.Set(fmt.Appendf(nil, "key%08d", i), value, tempest.NoSync); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Flush(); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestLSMPicture drives a database through flushes and compactions,
// writes its page with `db lsm --html` while the database is open (the
// command takes no lock), then again after it is closed, and checks in
// headless Chromium that the page draws the tree the database reports:
// every live file with its key range, seqnums and size on hover, the
// levels' last file counts and bytes, flushes and compactions.
func TestLSMPicture(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	db := driveLSM(t, dir, 30000)
	out := filepath.Join(t.TempDir(), "lsm.html")
	if r := run(t, "db", "lsm", "--dir", dir, "--html", out); r.code != 0 {
		t.Fatalf("db lsm --html on a database in use: %d\n%s", r.code, r.stderr)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if r := run(t, "db", "lsm", "--dir", dir, "--html", out); r.code != 0 || r.stdout != "" {
		t.Fatalf("db lsm --html: %d\nstdout %q\n%s", r.code, r.stdout, r.stderr)
	}
	lsm := readLSM(t, dir)
	edits := manifestEdits(t, dir)
	page := renderPage(t, out)
	t.Logf("page %d bytes, %d edits, headless load %v, charts drawn in %.0f ms", fileSize(t, out), edits, page.Load, page.RenderMs)
	series := checkDrawn(t, page)
	checkLSMFiles(t, page.DOM, lsm)
	for level, files := range lsm {
		var size float64
		for _, f := range files {
			size += float64(f.Size)
		}
		name := fmt.Sprintf("L%d", level)
		if len(files) == 0 {
			if s, ok := series["files/"+name]; ok && attrFloats(t, s, "data-last")[1] != 0 {
				t.Errorf("files/%s ends at %v, the level is empty", name, s["data-last"])
			}
			continue
		}
		checkLastPoint(t, series, "files/"+name, float64(edits-1), float64(len(files)))
		checkLastPoint(t, series, "bytes/"+name, float64(edits-1), size)
	}
	wa := attrFloats(t, series["write-amp"], "data-last")
	if wa[1] <= 1 {
		t.Errorf("write amplification after flushes and compactions: %v, want above 1", wa[1])
	}
	spans := tagAttrs(page.DOM, "data-edit")
	for _, kind := range []string{"flush", "compaction"} {
		if !strings.Contains(page.DOM, ": "+kind+" ") {
			t.Errorf("no %s among the %d spans", kind, len(spans))
		}
	}
}

// checkLastPoint checks the last point of the series tagged tag.
func checkLastPoint(t *testing.T, series map[string]map[string]string, tag string, x, y float64) {
	t.Helper()
	s, ok := series[tag]
	if !ok {
		t.Errorf("no series tagged %s", tag)
		return
	}
	p := attrFloats(t, s, "data-last")
	if p[0] != x || math.Abs(p[1]-y) > 1e-9*math.Abs(y) {
		t.Errorf("series %s ends at (%v, %v), want (%v, %v)", tag, p[0], p[1], x, y)
	}
}

// checkLSMFiles checks that the tree picture holds every live file, at
// its level, with its size, key range and seqnums in its title.
func checkLSMFiles(t *testing.T, dom string, lsm [tempest.NumLevels][]tempest.FileInfo) {
	t.Helper()
	drawn := map[string]map[string]string{}
	for _, r := range tagAttrs(dom, "data-file") {
		drawn[r["data-file"]] = r
	}
	n := 0
	for level, files := range lsm {
		for _, f := range files {
			n++
			num := fmt.Sprintf("%06d", f.FileNum)
			r, ok := drawn[num]
			if !ok {
				t.Errorf("file %s (L%d) is not drawn", num, level)
				continue
			}
			if r["data-level"] != fmt.Sprint(level) || r["data-size"] != fmt.Sprint(f.Size) {
				t.Errorf("file %s drawn at L%s size %s, is at L%d size %d", num, r["data-level"], r["data-size"], level, f.Size)
			}
			title := fmt.Sprintf("keys [%q, %q]\nseqs [%d, %d]", f.Smallest, f.Largest, f.MinSeq, f.MaxSeq)
			if !strings.Contains(dom, title) {
				t.Errorf("file %s: no title %q", num, title)
			}
		}
	}
	if len(drawn) != n {
		t.Errorf("%d files drawn, %d live", len(drawn), n)
	}
}

func readLSM(t *testing.T, dir string) [tempest.NumLevels][]tempest.FileInfo {
	t.Helper()
	db, err := tempest.Open(dir, &tempest.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	lsm, err := db.LSM()
	if err != nil {
		t.Fatal(err)
	}
	return lsm
}

// manifestEdits counts the edits of the newest manifest file.
func manifestEdits(t *testing.T, dir string) int {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "manifest", manifest.FilePrefix+"-*"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no manifest in %s: %v", dir, err)
	}
	_, edits, err := journal.ReadFile(vfs.Default, paths[len(paths)-1], manifest.Codec{})
	if err != nil {
		t.Fatal(err)
	}
	return len(edits)
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Size()
}
