package benchmark

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestRunEveryWorkload runs every workload on Tempest at a tiny size and
// checks the shape of each result.
func TestRunEveryWorkload(t *testing.T) {
	opts := Options{Num: 2000, Concurrency: 2, MemTableSize: 256 << 10, Dir: t.TempDir()}
	var progress bytes.Buffer
	results, err := Run(context.Background(), NewTempest, opts, &progress)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != len(Names()) {
		t.Fatalf("got %d results, want %d", len(results), len(Names()))
	}
	for i, res := range results {
		t.Run(res.Workload, func(t *testing.T) {
			var text bytes.Buffer
			res.WriteText(&text)
			t.Log(text.String())
			if res.Workload != Names()[i] || res.Engine != "tempest" {
				t.Fatalf("result %d is %s/%s", i, res.Engine, res.Workload)
			}
			if res.Error != "" {
				t.Fatalf("failed: %s", res.Error)
			}
			want := Lookup(res.Workload).measuredOps(opts.Num)
			if res.Ops != want {
				t.Errorf("ops = %d, want %d", res.Ops, want)
			}
			if res.OpsPerSec <= 0 || res.Latency.P50 <= 0 || res.Latency.P99 < res.Latency.P50 || res.Latency.P999 < res.Latency.P99 {
				t.Errorf("bad throughput or latency: %+v", res)
			}
			if res.DiskBytes <= 0 || res.UserBytes <= 0 || res.EngineBytes <= 0 || res.WriteAmp <= 0 {
				t.Errorf("bad sizes: disk %d user %d engine %d write-amp %v", res.DiskBytes, res.UserBytes, res.EngineBytes, res.WriteAmp)
			}
			if res.LiveBytes <= 0 || res.SpaceAmp <= 0 {
				t.Errorf("bad live size: live %d space-amp %v", res.LiveBytes, res.SpaceAmp)
			}
			wantGoroutines := opts.Concurrency
			if res.Workload == "sync16" {
				wantGoroutines = 16
			}
			if res.Goroutines != wantGoroutines {
				t.Errorf("goroutines = %d, want %d", res.Goroutines, wantGoroutines)
			}
			// Fsync-bound results carry Tempest's group-commit figures: one
			// synced commit per operation, at least one per fsync.
			if s := res.Sync; FsyncBound(res.Workload, opts) != (s != nil) {
				t.Errorf("sync figures %+v on a workload that is fsync-bound: %v", s, FsyncBound(res.Workload, opts))
			} else if s != nil {
				if s.Commits != uint64(res.Ops) || s.Syncs < 1 || s.Syncs > s.Commits ||
					s.CommitsPerSync != float64(s.Commits)/float64(s.Syncs) {
					t.Errorf("sync figures %+v for %d ops", s, res.Ops)
				}
				if s.Probes != nil || s.Ratio != 0 {
					t.Errorf("Run attached a probe: %+v", s)
				}
			}
			var bench bytes.Buffer
			res.WriteBenchstat(&bench)
			if !strings.HasPrefix(bench.String(), "BenchmarkTempest/"+res.Workload+" \t ") || !strings.Contains(bench.String(), " ns/op") {
				t.Errorf("benchstat line %q", bench.String())
			}
		})
	}
	if _, err := json.Marshal(NewReport(opts, results)); err != nil {
		t.Fatal(err)
	}
}

// TestRunSkipsProbeEntry checks that Run, which runs no probe, accepts
// and skips FsyncProbeName entries, and that RunWorkload refuses one.
func TestRunSkipsProbeEntry(t *testing.T) {
	opts := Options{Num: 100, Benchmarks: []string{FsyncProbeName, "fillseq"}, Dir: t.TempDir()}
	results, err := Run(context.Background(), NewTempest, opts, nil)
	if err != nil || len(results) != 1 || results[0].Workload != "fillseq" || results[0].Error != "" {
		t.Fatalf("results %+v, %v", results, err)
	}
	if _, err := RunWorkload(context.Background(), NewTempest(), FsyncProbeName, opts, nil); err == nil {
		t.Error("RunWorkload ran the probe entry")
	}
}

// TestTimelineAndPercentiles: a result's timeline accounts for its
// operations (rate × interval summed over the phase), and its percentile
// distribution rises to 100% at the maximum latency.
func TestTimelineAndPercentiles(t *testing.T) {
	opts := Options{Num: 200_000, Benchmarks: []string{"fillrandom"}, MemTableSize: 1 << 20, Dir: t.TempDir()}
	results, err := Run(context.Background(), NewTempest, opts, nil)
	if err != nil || len(results) != 1 || results[0].Error != "" {
		t.Fatalf("%v %+v", err, results)
	}
	res := results[0]
	if len(res.Timeline) < 2 {
		t.Fatalf("timeline of %d points over %.2fs", len(res.Timeline), res.Seconds)
	}
	var ops, prev float64
	for _, p := range res.Timeline {
		if p.Seconds <= prev || p.OpsPerSec < 0 {
			t.Fatalf("timeline point %+v after %.3fs", p, prev)
		}
		ops += p.OpsPerSec * (p.Seconds - prev)
		prev = p.Seconds
	}
	if d := ops - float64(res.Ops); d > 1 || d < -1 {
		t.Fatalf("timeline accounts for %.1f operations, the result for %d", ops, res.Ops)
	}
	ps := res.Percentiles
	if len(ps) < 10 || ps[len(ps)-1].Quantile != 100 || ps[len(ps)-1].Count != res.Ops {
		t.Fatalf("percentiles end at %+v (of %d points), want 100%% of %d ops", ps[len(ps)-1], len(ps), res.Ops)
	}
	for i := 1; i < len(ps); i++ {
		if ps[i].Quantile < ps[i-1].Quantile || ps[i].ValueNs < ps[i-1].ValueNs {
			t.Fatalf("percentiles not monotone at %d: %+v then %+v", i, ps[i-1], ps[i])
		}
	}
}

// TestSettledSpace waits, after an overwrite phase, for Tempest to settle
// with no call: the result holds the size on disk then, and the text
// report shows it. Without SettleWait nothing is measured.
func TestSettledSpace(t *testing.T) {
	opts := Options{Num: 5_000, Benchmarks: []string{"overwrite"}, MemTableSize: 64 << 10, Dir: t.TempDir(), SettleWait: 20 * time.Second}
	results, err := Run(context.Background(), NewTempest, opts, nil)
	if err != nil || len(results) != 1 || results[0].Error != "" {
		t.Fatalf("%v %+v", err, results)
	}
	st := results[0].Settled
	if st == nil || st.DiskBytes <= 0 || st.Seconds < settledQuiet.Seconds() || st.SpaceAmp <= 0 {
		t.Fatalf("settled: %+v", st)
	}
	if want := float64(st.DiskBytes) / float64(results[0].LiveBytes); st.SpaceAmp != want {
		t.Fatalf("settled space-amp %v, want %v", st.SpaceAmp, want)
	}
	var b strings.Builder
	results[0].WriteText(&b)
	if !strings.Contains(b.String(), "settled after") {
		t.Fatalf("the report does not show the settled size:\n%s", b.String())
	}
	opts.SettleWait = 0
	if results, err = Run(context.Background(), NewTempest, opts, nil); err != nil || results[0].Settled != nil {
		t.Fatalf("without a wait: %v, settled %+v", err, results[0].Settled)
	}
}
