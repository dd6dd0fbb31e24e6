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
// the bars of Tempest's ratios against the target; then bench report
// --html draws the same page from the JSON. About 10 s once the build
// cache holds the peers, 90 s or more before: it runs only with
// TEMPEST_BENCH_PEERS=1 (TestBenchReportPicture covers the comparison's
// charts with stand-in peers in the default run).
func TestBenchPictureTempestPebble(t *testing.T) {
	if os.Getenv("TEMPEST_BENCH_PEERS") != "1" {
		t.Skip("builds peerbench (up to minutes): set TEMPEST_BENCH_PEERS=1 to run")
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
		if len(pts) < 3 {
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

// fakeChartEngine stands in for peerbench and Tempest's subprocess like
// fakeEngine, with a timeline and a latency distribution: tempest runs
// at 200 ops/s, the others at 100.
const fakeChartEngine = `#!/bin/sh
engine=tempest; workload=
for a in "$@"; do
	case "$a" in
	--engine=*) engine=${a#--engine=} ;;
	--benchmarks=*) workload=${a#--benchmarks=} ;;
	esac
done
ops=100; [ "$engine" = tempest ] && ops=200
cat <<JSON
{"date":"2025-01-02T03:04:05Z","go_version":"go","goos":"linux","goarch":"amd64","cpus":2,"options":{},
 "results":[{"engine":"$engine","workload":"$workload","ops":1000,"seconds":1,"ops_per_sec":$ops,
 "latency":{"p50_ns":1000,"p99_ns":5000,"p999_ns":9000,"max_ns":10000,"mean_ns":1200},
 "timeline":[{"s":0.1,"ops_per_sec":$ops},{"s":0.2,"ops_per_sec":$((ops/2))},{"s":0.3,"ops_per_sec":$ops}],
 "latency_percentiles":[{"q":0,"ns":500,"count":1},{"q":50,"ns":1000,"count":500},{"q":90,"ns":3000,"count":900},
  {"q":99,"ns":5000,"count":990},{"q":99.9,"ns":9000,"count":999},{"q":100,"ns":10000,"count":1000}],
 "disk_bytes":1048576,"live_bytes":524288,"space_amp":2,"peak_rss_bytes":1,"goroutines":16}]}
JSON
`

// TestBenchReportPicture runs a comparison of Tempest and Pebble on
// stand-in subprocesses with --json, draws it with bench report --html,
// and checks in headless Chromium every chart and the ratio bars (2×)
// against the target line.
func TestBenchReportPicture(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the stand-in engine is a shell script")
	}
	chromiumPath(t)
	dir := t.TempDir()
	script := filepath.Join(dir, "fake")
	if err := os.WriteFile(script, []byte(fakeChartEngine), 0o755); err != nil {
		t.Fatal(err)
	}
	saved := benchTempestCommand
	benchTempestCommand = func(*cobra.Command) ([]string, error) { return []string{script}, nil }
	defer func() { benchTempestCommand = saved }()
	out, errOut, err := runBenchCmd(t, "--engine=tempest,pebble", "--json", "--benchmarks=fillseq,readrandom", "--peerbench="+script)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	c := decodeStrict[benchmark.Comparison](t, out)
	runJSON, html := filepath.Join(dir, "run.json"), filepath.Join(dir, "report.html")
	if err := os.WriteFile(runJSON, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := run(t, "bench", "report", runJSON, "--html", html); r.code != 0 {
		t.Fatalf("bench report: %s", r)
	}
	if r := run(t, "bench", "report", runJSON); r.code != ExitUsage {
		t.Errorf("bench report without --html: %s, want a usage error", r)
	}
	page := renderPage(t, html)
	checkBenchPage(t, page, c)
	for _, q := range c.Ratios {
		if q.Throughput != 2 {
			t.Errorf("ratio %+v, want throughput 2", q)
		}
	}
}
