package tool

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
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

// driveLSM writes n keys in an order rng picks through a database opened
// with lsmPictureOptions at format version v (0: the newest), and returns
// it open.
func driveLSM(t *testing.T, rng *rand.Rand, dir string, n int, v uint32) *tempest.DB {
	t.Helper()
	opts := lsmPictureOptions
	opts.FormatVersion = v
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

// lsmPage writes the page of the database in dir with `db lsm --html`
// and renders it.
func lsmPage(t *testing.T, dir, name string) renderedPage {
	t.Helper()
	out := filepath.Join(t.TempDir(), name)
	if r := run(t, "db", "lsm", "--dir", dir, "--html", out); r.code != 0 || r.stdout != "" {
		t.Fatalf("db lsm --html: %d\nstdout %q\n%s", r.code, r.stdout, r.stderr)
	}
	page := renderPage(t, out)
	t.Logf("page %d bytes, headless load %v, charts drawn in %.0f ms", fileSize(t, out), page.Load, page.RenderMs)
	return page
}

// TestLSMPicture drives a database through flushes and compactions,
// writes its page with `db lsm --html` while the database is open (the
// command takes no lock), then closes it, reopens it (Open starts a new
// manifest file from a snapshot, and the old file is removed), drives it
// further and writes the page again. It checks in headless Chromium that
// the page draws the tree the database reports (every live file with its
// key range, seqnums and size on hover, the levels' last file counts and
// bytes, flushes and compactions), and that its x values are the times
// the manifest records, read with the codec alone: the spans are every
// edit that changed tables, before the rotation as after it.
func TestLSMPicture(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	rng := testutil.NewRand(testutil.Seed(t))
	db := driveLSM(t, rng, dir, 30000, 0)
	if r := run(t, "db", "lsm", "--dir", dir, "--html", filepath.Join(t.TempDir(), "open.html")); r.code != 0 {
		t.Fatalf("db lsm --html on a database in use: %d\n%s", r.code, r.stderr)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	old := newestManifest(t, dir)
	before := historyTimes(t, old)
	db = driveLSM(t, rng, dir, 5000, 0)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	current := newestManifest(t, dir)
	if current == old {
		t.Fatalf("reopening left the manifest in %s: no rotation", old)
	}
	times := historyTimes(t, current)
	if len(before) == 0 || len(times) <= len(before) || !slices.Equal(times[:len(before)], before) {
		t.Fatalf("the history after the rotation (%d edits) does not begin with the %d edits of %s", len(times), len(before), filepath.Base(old))
	}
	page := lsmPage(t, dir, "lsm.html")
	series := checkDrawn(t, page)
	lsm := readLSM(t, dir)
	checkLSMFiles(t, page.DOM, lsm)
	checkLevels(t, series, lsm, float64(times[len(times)-1])/1e9)
	checkPlottedTimes(t, page, series, times)
	t.Logf("%d edits drawn at their times, %d of them from before the rotation", len(times), len(before))
}

// TestLSMPictureByEdit: the page of a database below format version 7,
// whose edits carry no time, draws the manifest file's edits at their
// numbers.
func TestLSMPictureByEdit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	db := driveLSM(t, testutil.NewRand(testutil.Seed(t)), dir, 10000, tempest.FormatVersion6)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	page := lsmPage(t, dir, "lsm-by-edit.html")
	series := checkDrawn(t, page)
	lsm := readLSM(t, dir)
	checkLSMFiles(t, page.DOM, lsm)
	edits := manifestEdits(t, dir)
	checkLevels(t, series, lsm, float64(edits-1))
	if n := len(tagAttrs(page.DOM, "data-time")); n != 0 || len(tagAttrs(page.DOM, "data-edit")) == 0 {
		t.Errorf("%d spans at a time, %d at an edit number; want every span at its edit number", n, len(tagAttrs(page.DOM, "data-edit")))
	}
	if !strings.Contains(page.DOM, "the x-axis is the edit number") {
		t.Errorf("the page does not say its x-axis is the edit number")
	}
}

// checkLevels checks that the page's level series end at x with the
// levels of lsm, that write amplification ends above 1, and that flushes
// and compactions are among the spans.
func checkLevels(t *testing.T, series map[string]map[string]string, lsm [tempest.NumLevels][]tempest.FileInfo, x float64) {
	t.Helper()
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
		checkLastPoint(t, series, "files/"+name, x, float64(len(files)))
		checkLastPoint(t, series, "bytes/"+name, x, size)
	}
	wa := attrFloats(t, series["write-amp"], "data-last")
	if wa[1] <= 1 {
		t.Errorf("write amplification after flushes and compactions: %v, want above 1", wa[1])
	}
}

// checkPlottedTimes checks that the page draws the edits at times (Unix
// ns, ascending): one span each, tagged with its time, and the charts'
// x values those times in Unix seconds, the first and last drawn where
// the series begin and end.
func checkPlottedTimes(t *testing.T, page renderedPage, series map[string]map[string]string, times []int64) {
	t.Helper()
	var spans []int64
	for _, a := range tagAttrs(page.DOM, "data-time") {
		n, err := strconv.ParseInt(a["data-time"], 10, 64)
		if err != nil {
			t.Fatalf("span time %q: %v", a["data-time"], err)
		}
		spans = append(spans, n)
	}
	slices.Sort(spans)
	if !slices.Equal(spans, times) {
		t.Errorf("%d spans at times %v..., want the %d edit times %v...", len(spans), head(spans), len(times), head(times))
	}
	var xs []float64
	for _, n := range times {
		xs = append(xs, float64(n)/1e9)
	}
	xs = slices.Compact(xs)
	for id, data := range chartData(t, page.DOM) {
		if !slices.Equal(data[0], xs) {
			t.Errorf("chart %s plots %d x values %v..., want the %d edit times %v...", id, len(data[0]), head(data[0]), len(xs), head(xs))
		}
	}
	for tag, s := range series {
		if first := attrFloats(t, s, "data-first")[0]; first != xs[0] {
			t.Errorf("series %s begins at x %v, want the first edit time %v", tag, first, xs[0])
		}
	}
}

func head[T any](s []T) []T { return s[:min(len(s), 3)] }

var chartDataRE = regexp.MustCompile(`(?s)<script id="chart-data" type="application/json">(.*?)</script>`)

// chartData returns the x values and series of each chart of the page,
// by chart ID, as the page hands them to uPlot.
func chartData(t *testing.T, dom string) map[string][][]float64 {
	t.Helper()
	m := chartDataRE.FindStringSubmatch(dom)
	if m == nil {
		t.Fatal("no chart data in the page")
	}
	var specs []struct {
		ID   string       `json:"id"`
		Data [][]*float64 `json:"data"`
	}
	if err := json.Unmarshal([]byte(m[1]), &specs); err != nil {
		t.Fatalf("chart data: %v", err)
	}
	out := map[string][][]float64{}
	for _, s := range specs {
		var rows [][]float64
		for _, row := range s.Data {
			var vs []float64
			for _, v := range row {
				if v != nil {
					vs = append(vs, *v)
				}
			}
			rows = append(rows, vs)
		}
		out[s.ID] = rows
	}
	return out
}

// historyTimes returns the times of the edits that the manifest file at
// path says changed tables, ascending: those its snapshot's history
// holds, then those of its later edits that add or remove files.
func historyTimes(t *testing.T, path string) []int64 {
	t.Helper()
	_, edits, err := journal.ReadFile(vfs.Default, path, manifest.Codec{})
	if err != nil {
		t.Fatal(err)
	}
	var times []int64
	for _, h := range edits[0].History {
		times = append(times, h.Time)
	}
	for i, e := range edits[1:] {
		if len(e.Added)+len(e.Removed) == 0 {
			continue
		}
		if e.Time == 0 {
			t.Fatalf("%s: edit %d carries no time", path, i+1)
		}
		times = append(times, e.Time)
	}
	if !slices.IsSorted(times) {
		t.Fatalf("%s: the edit times go back", path)
	}
	return times
}

// newestManifest returns the path of the newest manifest file of dir.
func newestManifest(t *testing.T, dir string) string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "manifest", manifest.FilePrefix+"-*"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no manifest in %s: %v", dir, err)
	}
	return paths[len(paths)-1]
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
	_, edits, err := journal.ReadFile(vfs.Default, newestManifest(t, dir), manifest.Codec{})
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
