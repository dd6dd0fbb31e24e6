package tool

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/tempestdb/tempest/benchmark"
	"github.com/tempestdb/tempest/internal/charts"
)

// benchPictureArgs are a small run's flags: two workloads, each measured
// for a few timeline intervals.
func benchPictureArgs(t *testing.T, html string) []string {
	return []string{"--num=2000", "--duration=400ms", "--benchmarks=fillrandom,readrandom", "--memtable-size=256KiB",
		"--json", "--html=" + html, "--dir=" + filepath.Join(t.TempDir(), "db")}
}

// TestBenchPicture runs a small real bench of Tempest in process with
// --json and --html, and checks in headless Chromium that the page draws
// the report's timelines and latency distributions, peak RSS and disk.
func TestBenchPicture(t *testing.T) {
	html := filepath.Join(t.TempDir(), "bench-tempest.html")
	out, errOut, err := runBenchCmd(t, append(benchPictureArgs(t, html), "--engine=tempest")...)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	report := decodeStrict[benchmark.Report](t, out)
	page := renderPage(t, html)
	t.Logf("page %d bytes, headless load %v, charts drawn in %.0f ms", fileSize(t, html), page.Load, page.RenderMs)
	checkBenchPage(t, page, benchmark.Comparison{Report: report, Engines: []string{"tempest"}})
}

// TestBenchPictureTempestPebble runs a small real comparison of Tempest
// and Pebble (building peerbench from benchmark/peers) with --html, and
// checks the page against the JSON comparison: both engines' lines, and
// the bars of Tempest's ratios against the target.
func TestBenchPictureTempestPebble(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds peerbench")
	}
	chromiumPath(t)
	exe := filepath.Join(t.TempDir(), "tempest")
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	build := exec.Command("go", "build", "-o", exe, "../cmd/tempest")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building tempest: %v\n%s", err, b)
	}
	saved := benchTempestCommand
	benchTempestCommand = func(*cobra.Command) ([]string, error) { return []string{exe, "bench"}, nil }
	defer func() { benchTempestCommand = saved }()
	html := filepath.Join(t.TempDir(), "bench.html")
	start := time.Now()
	out, errOut, err := runBenchCmd(t, append(benchPictureArgs(t, html), "--engine=tempest,pebble")...)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	t.Logf("tempest,pebble bench (peerbench built) in %v", time.Since(start))
	c := decodeStrict[benchmark.Comparison](t, out)
	if len(c.Ratios) != 2 {
		t.Fatalf("%d ratios, want fillrandom and readrandom against pebble", len(c.Ratios))
	}
	page := renderPage(t, html)
	t.Logf("page %d bytes, headless load %v, charts drawn in %.0f ms", fileSize(t, html), page.Load, page.RenderMs)
	checkBenchPage(t, page, c)

	// The same page from the JSON report.
	runJSON := filepath.Join(t.TempDir(), "run.json")
	if err := os.WriteFile(runJSON, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	again := filepath.Join(t.TempDir(), "again.html")
	if r := run(t, "bench", "report", runJSON, "--html", again); r.code != 0 {
		t.Fatalf("bench report: %s", r)
	}
	a, b := readFile(t, html), readFile(t, again)
	if a != b {
		t.Errorf("bench report --html wrote a page (%d bytes) other than the run's (%d bytes)", len(b), len(a))
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// checkBenchPage checks that every chart of the page is drawn and that
// the tagged series' first and last points are the report's.
func checkBenchPage(t *testing.T, page renderedPage, c benchmark.Comparison) {
	t.Helper()
	series := checkDrawn(t, page)
	for _, r := range c.Results {
		if r.Error != "" {
			t.Errorf("%s/%s failed: %s", r.Engine, r.Workload, r.Error)
			continue
		}
		if len(r.Timeline) < 2 {
			t.Fatalf("%s/%s: a timeline of %d points", r.Engine, r.Workload, len(r.Timeline))
		}
		tl := r.Timeline
		checkEnds(t, series, r.Engine+"/"+r.Workload, [2]float64{tl[0].Seconds, tl[0].OpsPerSec},
			[2]float64{tl[len(tl)-1].Seconds, tl[len(tl)-1].OpsPerSec})
		var pts [][2]float64
		for _, p := range r.Percentiles {
			if p.Quantile < 100 && p.ValueNs > 0 {
				pts = append(pts, [2]float64{charts.PercentileX(p.Quantile), float64(p.ValueNs)})
			}
		}
		if len(pts) < 10 {
			t.Fatalf("%s/%s: %d latency percentiles", r.Engine, r.Workload, len(pts))
		}
		checkEnds(t, series, "latency/"+r.Engine+"/"+r.Workload, pts[0], pts[len(pts)-1])
	}
	for i, e := range c.Engines {
		first := float64(i) // the bars of the first workload, engine by engine
		checkEnds(t, series, "rss/"+e, [2]float64{first, float64(c.Results[i].PeakRSS)}, [2]float64{})
		checkEnds(t, series, "disk/"+e, [2]float64{first, float64(c.Results[i].DiskBytes)}, [2]float64{})
	}
	if len(c.Ratios) == 0 {
		if _, ok := series["target"]; ok {
			t.Errorf("a ratio chart without peers")
		}
		return
	}
	last := len(c.Ratios) - 1
	checkEnds(t, series, "ratio/pebble", [2]float64{0, c.Ratios[0].Throughput}, [2]float64{float64(last), c.Ratios[last].Throughput})
	checkEnds(t, series, "target", [2]float64{-0.5, ratioTarget}, [2]float64{float64(last) + 0.5, ratioTarget})
}

// checkEnds checks the first and last points of the series tagged tag
// (last: unless zero), to a relative 1e-9.
func checkEnds(t *testing.T, series map[string]map[string]string, tag string, first, last [2]float64) {
	t.Helper()
	s, ok := series[tag]
	if !ok {
		t.Errorf("no series tagged %s", tag)
		return
	}
	for _, end := range []struct {
		attr string
		want [2]float64
	}{{"data-first", first}, {"data-last", last}} {
		if end.want == [2]float64{} {
			continue
		}
		p := attrFloats(t, s, end.attr)
		if !near(p[0], end.want[0]) || !near(p[1], end.want[1]) {
			t.Errorf("series %s: %s point (%v, %v), want (%v, %v)", tag, end.attr, p[0], p[1], end.want[0], end.want[1])
		}
	}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b)) }
