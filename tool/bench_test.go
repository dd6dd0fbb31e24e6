package tool

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

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
	out, errOut, err := runBenchCmd(t, "--num=400", "--concurrency=2", "--memtable-size=256KiB", "--dir="+t.TempDir())
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
}

// TestBenchJSON checks the shape of the in-process JSON report.
func TestBenchJSON(t *testing.T) {
	for _, flag := range []string{"--json", "--child"} {
		t.Run(flag, func(t *testing.T) {
			out, errOut, err := runBenchCmd(t, flag, "--num=300", "--benchmarks=fillrandom,readrandom", "--dir="+t.TempDir())
			if err != nil {
				t.Fatalf("%v: %s", err, errOut)
			}
			var report benchmark.Report
			dec := json.NewDecoder(strings.NewReader(out))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&report); err != nil {
				t.Fatalf("output is not a benchmark.Report: %v\n%s", err, out)
			}
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
	for _, name := range benchmark.Names() {
		if !strings.Contains(out, name+" ") {
			t.Errorf("--list lacks %s", name)
		}
	}
}

func TestBenchBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--engine=rocksdb"}, {"--benchmarks=fillrandom,nope"}, {"--num=-5"}, {"--memtable-size=4XB"},
		{"--key-size=4"}, {"--compression=lz4"}, {"--child", "--engine=pebble"}, {"extra"},
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
cat <<JSON
{"date":"2025-01-02T03:04:05Z","go_version":"go","goos":"linux","goarch":"amd64","cpus":2,"options":{},
 "results":[{"engine":"$engine","workload":"$workload","ops":1000,"seconds":1,"ops_per_sec":$ops,
 "latency":{"p50_ns":1000,"p99_ns":5000,"p999_ns":9000,"max_ns":10000,"mean_ns":1200},
 "disk_bytes":1048576,"live_bytes":524288,"space_amp":2,"peak_rss_bytes":1}]}
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
	wantCalls := "tempest fillseq\npebble fillseq\nbadger fillseq\ngoleveldb fillseq\n" +
		"pebble readrandom\nbadger readrandom\ngoleveldb readrandom\ntempest readrandom\n"
	if string(calls) != wantCalls {
		t.Errorf("subprocess order:\n%s\nwant:\n%s", calls, wantCalls)
	}
	if !strings.Contains(errOut, "badger readrandom progress") {
		t.Errorf("child stderr not passed through: %q", errOut)
	}
	var c benchmark.Comparison
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("output is not a benchmark.Comparison: %v\n%s", err, out)
	}
	if !slices.Equal(c.Engines, benchmark.Engines) || len(c.Results) != 8 || len(c.Ratios) != 6 {
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
