package tool

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/tempestdb/tempest/benchmark"
)

// runBenchCmd runs `tempest bench args...` in process on a root command of
// its own.
func runBenchCmd(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := &cobra.Command{Use: "tempest", SilenceUsage: true, SilenceErrors: true}
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.AddCommand(newBenchCmd())
	root.SetArgs(append([]string{"bench"}, args...))
	err = root.Execute()
	return out.String(), errOut.String(), err
}

// TestBenchEveryWorkload runs every workload on Tempest in process at a
// tiny size and checks the text report and the benchstat lines.
func TestBenchEveryWorkload(t *testing.T) {
	out, errOut, err := runBenchCmd(t, "--num=400", "--concurrency=2", "--memtable-size=256KiB", "--fsync-probe=20ms", "--dir="+t.TempDir())
	if err != nil {
		t.Fatalf("%v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
	}
	t.Log(out)
	if !strings.HasPrefix(out, "tempest bench   engines tempest   num 400") {
		t.Errorf("header: %q", strings.SplitN(out, "\n", 2)[0])
	}
	for _, name := range benchmark.Names() {
		if !strings.Contains(out, "\n"+name+" ") {
			t.Errorf("no result line for %s", name)
		}
		if !strings.Contains(out, "\nBenchmarkTempest/"+name+" \t ") {
			t.Errorf("no benchstat line for %s", name)
		}
	}
	if strings.Contains(out, "FAILED") {
		t.Errorf("a workload failed")
	}
	if !strings.Contains(out, "\n    hit ") || !strings.Contains(out, "\n    miss ") {
		t.Errorf("readrandom does not report hits and misses apart")
	}
	// The fsync-bound workloads (sync, sync16) are bracketed by probes and
	// report their group commit, also in the closing table.
	for _, want := range []string{
		"\nfsyncprobe       disk ", ", before sync)\n", ", after sync)\n", ", before sync16)\n", ", after sync16)\n",
		"\n    group commit: ", "\nsync16           tempest        16 ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if n := strings.Count(out, "\nfsyncprobe "); n != 4 {
		t.Errorf("%d probes, want 4", n)
	}
}

// TestBenchFsyncProbe runs the probe alone, in text and in JSON.
func TestBenchFsyncProbe(t *testing.T) {
	dir := t.TempDir()
	out, errOut, err := runBenchCmd(t, "--benchmarks=fsyncprobe", "--fsync-probe=20ms", "--dir="+dir)
	if err != nil {
		t.Fatalf("%v: %s", err, errOut)
	}
	t.Log(out)
	if n := strings.Count(out, "\nfsyncprobe       disk "); n != 1 || !strings.Contains(out, " fsyncs/s ") || !strings.Contains(out, " in "+dir+")\n") {
		t.Errorf("probe line missing:\n%s", out)
	}
	out, errOut, err = runBenchCmd(t, "--benchmarks=fsyncprobe", "--fsync-probe=20ms", "--json", "--dir="+dir)
	if err != nil {
		t.Fatalf("%v: %s", err, errOut)
	}
	var report benchmark.Report
	if err := json.Unmarshal([]byte(out), &report); err != nil {
		t.Fatal(err)
	}
	if len(report.Results) != 0 || len(report.FsyncProbes) != 1 {
		t.Fatalf("report: %d results, %d probes", len(report.Results), len(report.FsyncProbes))
	}
	if p := report.FsyncProbes[0]; p.Syncs < 1 || p.SyncsPerSec <= 0 || p.Latency.P99 <= 0 || p.Dir != dir {
		t.Errorf("probe %+v", p)
	}
	if !strings.Contains(out, `"fsyncs_per_sec"`) {
		t.Errorf("JSON lacks fsyncs_per_sec")
	}
}

// TestBenchSync16JSON runs the 16-writer synced workload in process and
// checks its group-commit figures against the probes in the report.
func TestBenchSync16JSON(t *testing.T) {
	out, errOut, err := runBenchCmd(t, "--benchmarks=sync16", "--num=300", "--fsync-probe=20ms", "--json", "--dir="+t.TempDir())
	if err != nil {
		t.Fatalf("%v: %s", err, errOut)
	}
	report := decodeStrict[benchmark.Report](t, out)
	if len(report.Results) != 1 || len(report.FsyncProbes) != 2 {
		t.Fatalf("%d results, %d probes", len(report.Results), len(report.FsyncProbes))
	}
	r := report.Results[0]
	s := r.Sync
	if r.Goroutines != 16 || r.Ops != 300 || s == nil {
		t.Fatalf("result %+v", r)
	}
	if s.Commits != 300 || s.Syncs < 1 || s.CommitsPerSync != 300/float64(s.Syncs) || len(s.Probes) != 2 {
		t.Errorf("figures %+v", s)
	}
	rate := benchmark.PooledRate(report.FsyncProbes)
	if want := r.OpsPerSec / (rate * s.CommitsPerSync); s.DiskSyncsPerSec != rate || math.Abs(s.Ratio-want) > 1e-9*want {
		t.Errorf("disk %v ratio %v, want %v and %v", s.DiskSyncsPerSec, s.Ratio, rate, want)
	}
	if s.Target != 0.7 || s.TargetMet != (s.Ratio >= 0.7) {
		t.Errorf("target %v met %v with ratio %v", s.Target, s.TargetMet, s.Ratio)
	}
	var generic map[string]any
	json.Unmarshal([]byte(out), &generic)
	sync := generic["results"].([]any)[0].(map[string]any)["sync"].(map[string]any)
	for _, key := range []string{"commits", "fsyncs", "commits_per_fsync", "probes", "disk_fsyncs_per_sec", "ratio", "target", "target_met"} {
		if _, ok := sync[key]; !ok {
			t.Errorf("sync figures have no %q", key)
		}
	}
}

// TestBenchProfiles checks that --cpuprofile and --memprofile write
// profiles of an in-process run, and are refused for a comparison.
func TestBenchProfiles(t *testing.T) {
	dir := t.TempDir()
	cpu, mem := filepath.Join(dir, "cpu.pprof"), filepath.Join(dir, "mem.pprof")
	if _, errOut, err := runBenchCmd(t, "--benchmarks=fillseq", "--num=300", "--cpuprofile="+cpu, "--memprofile="+mem, "--dir="+dir); err != nil {
		t.Fatalf("%v: %s", err, errOut)
	}
	for _, path := range []string{cpu, mem} {
		if st, err := os.Stat(path); err != nil || st.Size() == 0 {
			t.Errorf("profile %s: %v", path, err)
		}
	}
	if _, _, err := runBenchCmd(t, "--engine=tempest,pebble", "--cpuprofile="+cpu); err == nil || !strings.Contains(err.Error(), "in-process") {
		t.Errorf("comparison with --cpuprofile: %v", err)
	}
	if _, _, err := runBenchCmd(t, "--benchmarks=fillseq", "--cpuprofile="+filepath.Join(dir, "no", "cpu")); err == nil {
		t.Error("--cpuprofile into a missing directory accepted")
	}
}

// TestBenchJSON checks the shape of the in-process JSON report.
func TestBenchJSON(t *testing.T) {
	for _, flag := range []string{"--json", "--child"} {
		t.Run(flag, func(t *testing.T) {
			out, errOut, err := runBenchCmd(t, flag, "--num=300", "--benchmarks=fillrandom,readrandom", "--dir="+t.TempDir())
			if err != nil {
				t.Fatalf("%v: %s", err, errOut)
			}
			report := decodeStrict[benchmark.Report](t, out)
			if report.Options.Num != 300 || report.GOOS != runtime.GOOS || report.CPUs < 1 || report.Date.IsZero() {
				t.Errorf("report header: %+v", report)
			}
			if len(report.Results) != 2 {
				t.Fatalf("%d results", len(report.Results))
			}
			rr := report.Results[1]
			if rr.Workload != "readrandom" || rr.Engine != "tempest" || rr.Ops != 300 || len(rr.Parts) != 2 ||
				rr.Parts[0].Name != "hit" || rr.Parts[1].Name != "miss" || rr.Parts[0].Ops+rr.Parts[1].Ops != 300 {
				t.Errorf("readrandom result: %+v", rr)
			}
			var generic map[string]any
			json.Unmarshal([]byte(out), &generic)
			for _, key := range []string{"date", "go_version", "goos", "goarch", "cpus", "options", "results"} {
				if _, ok := generic[key]; !ok {
					t.Errorf("report has no %q", key)
				}
			}
			res := generic["results"].([]any)[0].(map[string]any)
			for _, key := range []string{"engine", "workload", "ops", "ops_per_sec", "latency", "write_amp", "disk_bytes", "space_amp", "peak_rss_bytes"} {
				if _, ok := res[key]; !ok {
					t.Errorf("result has no %q", key)
				}
			}
		})
	}
}

func TestBenchList(t *testing.T) {
	out, _, err := runBenchCmd(t, "--list")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range append(benchmark.Names(), benchmark.FsyncProbeName) {
		if !strings.Contains(out, name+" ") {
			t.Errorf("--list lacks %s", name)
		}
	}
}

func TestBenchBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--engine=rocksdb"}, {"--benchmarks=fillrandom,nope"}, {"--num=-5"}, {"--memtable-size=4XB"},
		{"--key-size=4"}, {"--compression=lz4"}, {"--child", "--engine=pebble"}, {"extra"}, {"--fsync-probe=-1s"},
	} {
		if _, _, err := runBenchCmd(t, args...); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

func TestBenchRotateEngines(t *testing.T) {
	e := []string{"a", "b", "c"}
	for i, want := range [][]string{{"a", "b", "c"}, {"b", "c", "a"}, {"c", "a", "b"}, {"a", "b", "c"}} {
		if got := rotateEngines(e, i); !slices.Equal(got, want) {
			t.Errorf("rotate %d = %v", i, got)
		}
	}
	if !slices.Equal(e, []string{"a", "b", "c"}) {
		t.Errorf("input changed: %v", e)
	}
}

func TestParseBenchEngines(t *testing.T) {
	got, err := parseBenchEngines("goleveldb, tempest,pebble,tempest")
	if err != nil || !slices.Equal(got, []string{"tempest", "pebble", "goleveldb"}) {
		t.Errorf("got %v, %v", got, err)
	}
	if got, _ := parseBenchEngines("all"); !slices.Equal(got, benchmark.Engines) {
		t.Errorf("all = %v", got)
	}
}

func TestBenchFindRepo(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	repo, err := findTempestRepo(filepath.Join(wd, "..", "benchmark"))
	if err != nil || repo != filepath.Dir(wd) {
		t.Errorf("findTempestRepo = %q, %v; want %q", repo, err, filepath.Dir(wd))
	}
	if _, err := findTempestRepo(t.TempDir()); err == nil {
		t.Error("found a repository in an empty temp dir")
	}
}

// fakeEngine is a shell script standing in for peerbench and Tempest's
// subprocess: it logs its engine and workload, and prints a report whose
// throughput is 200 ops/s for tempest and 100 for the others.
const fakeEngine = `#!/bin/sh
engine=tempest; workload=
for a in "$@"; do
	case "$a" in
	--engine=*) engine=${a#--engine=} ;;
	--benchmarks=*) workload=${a#--benchmarks=} ;;
	esac
done
echo "$engine $workload" >> "$FAKE_LOG"
echo "$engine $workload progress" >&2
ops=100; [ "$engine" = tempest ] && ops=200
sync=
if [ "$workload" = sync16 ]; then
	sync=',"sync":{}'
	[ "$engine" = tempest ] && sync=',"sync":{"commits":1000,"fsyncs":100,"commits_per_fsync":10}'
fi
cat <<JSON
{"date":"2025-01-02T03:04:05Z","go_version":"go","goos":"linux","goarch":"amd64","cpus":2,"options":{},
 "results":[{"engine":"$engine","workload":"$workload","ops":1000,"seconds":1,"ops_per_sec":$ops,
 "latency":{"p50_ns":1000,"p99_ns":5000,"p999_ns":9000,"max_ns":10000,"mean_ns":1200},
 "disk_bytes":1048576,"live_bytes":524288,"space_amp":2,"peak_rss_bytes":1,"goroutines":16$sync}]}
JSON
`

// TestBenchComparison runs a comparison of all engines on stand-in
// subprocesses: the engines' order rotates per workload, every result is
// collected with its subprocess's peak RSS, and the JSON comparison parses
// with Tempest's ratios to each peer.
func TestBenchComparison(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the stand-in engine is a shell script")
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "fake")
	if err := os.WriteFile(script, []byte(fakeEngine), 0o755); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(dir, "log")
	t.Setenv("FAKE_LOG", log)
	saved := benchTempestCommand
	benchTempestCommand = func(*cobra.Command) ([]string, error) { return []string{script}, nil }
	defer func() { benchTempestCommand = saved }()

	out, errOut, err := runBenchCmd(t, "--engine=all", "--json", "--benchmarks=fillseq,readrandom", "--peerbench="+script)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	calls, _ := os.ReadFile(log)
	wantCalls := "tempest fillseq\npebble fillseq\nbadger fillseq\ngoleveldb fillseq\nbbolt fillseq\n" +
		"pebble readrandom\nbadger readrandom\ngoleveldb readrandom\nbbolt readrandom\ntempest readrandom\n"
	if string(calls) != wantCalls {
		t.Errorf("subprocess order:\n%s\nwant:\n%s", calls, wantCalls)
	}
	if !strings.Contains(errOut, "badger readrandom progress") {
		t.Errorf("child stderr not passed through: %q", errOut)
	}
	c := decodeStrict[benchmark.Comparison](t, out)
	if !slices.Equal(c.Engines, benchmark.Engines) || len(c.Results) != 10 || len(c.Ratios) != 8 {
		t.Fatalf("comparison: %d engines, %d results, %d ratios", len(c.Engines), len(c.Results), len(c.Ratios))
	}
	for _, r := range c.Results {
		if r.Error != "" {
			t.Errorf("%s/%s: %s", r.Engine, r.Workload, r.Error)
		}
		if runtime.GOOS != "windows" && r.PeakRSS <= 1 {
			t.Errorf("%s/%s: peak RSS %d, want the subprocess's", r.Engine, r.Workload, r.PeakRSS)
		}
	}
	for _, q := range c.Ratios {
		if q.Throughput != 2 || q.P99 != 1 || q.Disk != 1 {
			t.Errorf("ratio %+v, want throughput 2, p99 1, disk 1", q)
		}
	}

	// The text form: the table and the benchstat lines of every engine.
	os.Remove(log)
	out, errOut, err = runBenchCmd(t, "--engine=tempest,badger", "--benchmarks=scan", "--peerbench="+script)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	for _, want := range []string{"\nscan             tempest ", "\n                 badger ", "2.00", "\nBenchmarkTempest/scan \t 1000 \t ", "\nBenchmarkBadger/scan \t "} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
}

// TestBenchChildFailure checks that a failing subprocess becomes a failed
// result and a nonzero exit, not a lost run.
func TestBenchChildFailure(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the stand-in engine is a shell script")
	}
	script := filepath.Join(t.TempDir(), "fail")
	os.WriteFile(script, []byte("#!/bin/sh\necho 'peerbench: disk on fire' >&2\nexit 1\n"), 0o755)
	out, _, err := runBenchCmd(t, "--engine=pebble", "--benchmarks=fillseq", "--peerbench="+script)
	if err == nil || !strings.Contains(err.Error(), "pebble/fillseq") {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(out, "FAILED: fail: exit status 1: peerbench: disk on fire") {
		t.Errorf("table lacks the failure:\n%s", out)
	}
}

// TestBenchComparisonSyncRatio runs a comparison of the 16-writer synced
// workload on stand-in subprocesses with stand-in probes of known rates:
// the probes bracket the workload, and the ratio is Tempest's throughput
// (200 ops/s, 10 commits per fsync) over the pooled probe rate times 10.
// Pebble reports no commits per fsync and has no ratio.
func TestBenchComparisonSyncRatio(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the stand-in engine is a shell script")
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "fake")
	if err := os.WriteFile(script, []byte(fakeEngine), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("FAKE_LOG", filepath.Join(dir, "log"))
	savedCmd, savedProbe := benchTempestCommand, benchProbeFsync
	benchTempestCommand = func(*cobra.Command) ([]string, error) { return []string{script}, nil }
	defer func() { benchTempestCommand, benchProbeFsync = savedCmd, savedProbe }()

	for _, tc := range []struct {
		before, after float64 // probe rates, fsyncs/s, each over 2 s
		ratio         float64
		target        string
	}{
		{before: 20, after: 20, ratio: 1, target: "met"},
		{before: 10, after: 30, ratio: 1, target: "met"},
		{before: 25, after: 25, ratio: 0.8, target: "met"},
		{before: 28, after: 29, ratio: 200.0 / (28.5 * 10), target: "met"}, // 0.70175...
		{before: 30, after: 30, ratio: 200.0 / 300, target: "missed"},
		{before: 40, after: 60, ratio: 0.4, target: "missed"},
	} {
		t.Run(fmt.Sprintf("%v-%v", tc.before, tc.after), func(t *testing.T) {
			var probes int
			benchProbeFsync = func(ctx context.Context, dir string, d time.Duration) (benchmark.FsyncProbe, error) {
				rate := []float64{tc.before, tc.after}[probes%2]
				probes++
				return benchmark.FsyncProbe{Syncs: int64(2 * rate), Seconds: 2, SyncsPerSec: rate, Dir: dir, Method: "fdatasync", RecordSize: 4096}, nil
			}
			out, errOut, err := runBenchCmd(t, "--engine=tempest,pebble", "--json", "--benchmarks=fillseq,sync16", "--peerbench="+script)
			if err != nil {
				t.Fatalf("%v\n%s", err, errOut)
			}
			c := decodeStrict[benchmark.Comparison](t, out)
			if probes != 2 || len(c.FsyncProbes) != 2 || c.FsyncProbes[0].When != "before sync16" || c.FsyncProbes[1].When != "after sync16" {
				t.Fatalf("%d probes: %+v", probes, c.FsyncProbes)
			}
			for _, r := range c.Results {
				switch {
				case r.Workload == "fillseq":
					if r.Sync != nil {
						t.Errorf("fillseq %s has sync figures %+v", r.Engine, r.Sync)
					}
				case r.Engine == "tempest":
					if s := r.Sync; s == nil || math.Abs(s.Ratio-tc.ratio) > 1e-9 || s.TargetMet != (tc.target == "met") ||
						s.DiskSyncsPerSec != (tc.before+tc.after)/2 || len(s.Probes) != 2 {
						t.Errorf("tempest sync figures %+v, want ratio %v", s, tc.ratio)
					}
				default:
					if s := r.Sync; s == nil || s.Ratio != 0 || s.DiskSyncsPerSec != (tc.before+tc.after)/2 {
						t.Errorf("pebble sync figures %+v", s)
					}
				}
			}

			// The text form: each result's group-commit line and the table.
			probes = 0
			out, errOut, err = runBenchCmd(t, "--engine=tempest,pebble", "--benchmarks=sync16", "--peerbench="+script)
			if err != nil {
				t.Fatalf("%v\n%s", err, errOut)
			}
			t.Log(out)
			disk := benchmark.FormatCount((tc.before + tc.after) / 2)
			shown := math.Floor(tc.ratio*100+1e-9) / 100 // truncated, not rounded
			for _, want := range []string{
				fmt.Sprintf("    group commit: 10.00 commits/fsync   disk %s fsyncs/s   ratio %.2f   target ≥ 0.70: %s\n", disk, shown, tc.target),
				fmt.Sprintf("    group commit: - commits/fsync   disk %s fsyncs/s   ratio -\n", disk),
				fmt.Sprintf("sync16           tempest        16        200         10.00 %13s %9.2f  %s\n", disk, shown, tc.target),
				fmt.Sprintf("                 pebble         16        100             - %13s         -  -\n", disk),
			} {
				if !strings.Contains(out, want) {
					t.Errorf("text output lacks %q", want)
				}
			}
		})
	}
}

// decodeStrict decodes out as one T, failing the test on any unknown field
// or malformed JSON.
func decodeStrict[T any](t *testing.T, out string) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("output is not a %T: %v\n%s", v, err, out)
	}
	return v
}
