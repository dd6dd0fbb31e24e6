package benchmark

import (
	"bytes"
	"context"
	"math"
	"strings"
	"testing"
	"time"
)

func TestSyncRatio(t *testing.T) {
	for _, tc := range []struct {
		ops, fsyncs, perSync float64
		want                 float64
	}{
		{ops: 28000, fsyncs: 2000, perSync: 14, want: 1},
		{ops: 14000, fsyncs: 2000, perSync: 14, want: 0.5},
		{ops: 19600, fsyncs: 2000, perSync: 14, want: 0.7},
		{ops: 3000, fsyncs: 4000, perSync: 1, want: 0.75},
		{ops: 9000, fsyncs: 1000, perSync: 6, want: 1.5},
		{ops: 1000, fsyncs: 0, perSync: 14, want: 0},
		{ops: 1000, fsyncs: 2000, perSync: 0, want: 0},
		{ops: 0, fsyncs: 2000, perSync: 14, want: 0},
		{ops: 1000, fsyncs: -1, perSync: 14, want: 0},
	} {
		if got := SyncRatio(tc.ops, tc.fsyncs, tc.perSync); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("SyncRatio(%v, %v, %v) = %v, want %v", tc.ops, tc.fsyncs, tc.perSync, got, tc.want)
		}
	}
}

func TestAttachProbes(t *testing.T) {
	before := FsyncProbe{Syncs: 3000, Seconds: 2, SyncsPerSec: 1500}
	after := FsyncProbe{Syncs: 5000, Seconds: 2, SyncsPerSec: 2500}
	if got := PooledRate([]FsyncProbe{before, after}); got != 2000 {
		t.Errorf("pooled rate %v, want 2000", got)
	}
	if got := PooledRate([]FsyncProbe{{Syncs: 100, Seconds: 1}, {Syncs: 300, Seconds: 3}}); got != 100 {
		t.Errorf("pooled rate %v, want 100 (syncs over seconds, not the mean of rates)", got)
	}
	if PooledRate(nil) != 0 {
		t.Error("pooled rate of no probe")
	}
	for _, tc := range []struct {
		name      string
		res       Result
		ratio     float64
		met       bool
		untouched bool
	}{
		{name: "met", res: Result{OpsPerSec: 20000, Sync: &SyncFigures{Commits: 1000, Syncs: 100, CommitsPerSync: 10}}, ratio: 1, met: true},
		{name: "at target", res: Result{OpsPerSec: 14000, Sync: &SyncFigures{CommitsPerSync: 10}}, ratio: 0.7, met: true},
		{name: "missed", res: Result{OpsPerSec: 13000, Sync: &SyncFigures{CommitsPerSync: 10}}, ratio: 0.65},
		{name: "peer without stats", res: Result{OpsPerSec: 13000, Sync: &SyncFigures{}}},
		{name: "not fsync-bound", res: Result{OpsPerSec: 13000}, untouched: true},
		{name: "failed", res: Result{Error: "x", Sync: &SyncFigures{CommitsPerSync: 10}}, untouched: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.res
			r.AttachProbes(before, after)
			if tc.untouched {
				if r.Sync != nil && (len(r.Sync.Probes) != 0 || r.Sync.DiskSyncsPerSec != 0) {
					t.Errorf("probes attached: %+v", r.Sync)
				}
				return
			}
			s := r.Sync
			if len(s.Probes) != 2 || s.DiskSyncsPerSec != 2000 || s.Target != SyncRatioTarget {
				t.Errorf("figures %+v", s)
			}
			if math.Abs(s.Ratio-tc.ratio) > 1e-12 || s.TargetMet != tc.met {
				t.Errorf("ratio %v met %v, want %v %v", s.Ratio, s.TargetMet, tc.ratio, tc.met)
			}
		})
	}
}

func TestFsyncBound(t *testing.T) {
	for _, tc := range []struct {
		name string
		sync bool
		want bool
	}{
		{"sync16", false, true}, {"sync", false, true}, {"fillrandom", false, false}, {"fillrandom", true, true},
		{"deleterandom", true, true}, {"readrandom", true, false}, {"ycsb-a", true, false}, {"queue", true, false},
		{FsyncProbeName, true, false}, {"nope", true, false},
	} {
		if got := FsyncBound(tc.name, Options{Sync: tc.sync}); got != tc.want {
			t.Errorf("FsyncBound(%s, sync %v) = %v", tc.name, tc.sync, got)
		}
	}
}

// TestProber checks the probes' placement: one per FsyncProbeName entry,
// one before and one after each fsync-bound workload, none elsewhere,
// and the pair attached to the workload's results.
func TestProber(t *testing.T) {
	var rates []float64
	p := NewProber(Options{}, nil)
	p.ProbeFunc = func(ctx context.Context, dir string, d time.Duration) (FsyncProbe, error) {
		rate := float64(1000 * (len(rates) + 1))
		rates = append(rates, rate)
		return FsyncProbe{Syncs: int64(rate), Seconds: 1, SyncsPerSec: rate}, nil
	}
	ctx := context.Background()
	step := func(name string, results []Result) {
		t.Helper()
		if err := p.Before(ctx, name); err != nil {
			t.Fatal(err)
		}
		if err := p.After(ctx, name, results); err != nil {
			t.Fatal(err)
		}
	}
	step(FsyncProbeName, nil)
	fill := []Result{{OpsPerSec: 1}}
	step("fillrandom", fill)
	sync16 := []Result{{OpsPerSec: 12500, Sync: &SyncFigures{CommitsPerSync: 5}}, {OpsPerSec: 10, Sync: &SyncFigures{}}}
	step("sync16", sync16)
	if len(p.Probes) != 3 || p.Probes[0].When != "" || p.Probes[1].When != "before sync16" || p.Probes[2].When != "after sync16" {
		t.Fatalf("probes %+v", p.Probes)
	}
	if fill[0].Sync != nil {
		t.Errorf("fillrandom got sync figures")
	}
	// Probes of 2000 and 3000 fsyncs/s pool to 2500; 12500 ÷ (2500 × 5) = 1.
	if s := sync16[0].Sync; s.DiskSyncsPerSec != 2500 || s.Ratio != 1 || !s.TargetMet || len(s.Probes) != 2 {
		t.Errorf("tempest figures %+v", s)
	}
	if s := sync16[1].Sync; s.DiskSyncsPerSec != 2500 || s.Ratio != 0 || s.TargetMet {
		t.Errorf("peer figures %+v", s)
	}
}

func TestWriteSyncTable(t *testing.T) {
	probes := []FsyncProbe{{Syncs: 4000, Seconds: 2}, {Syncs: 6000, Seconds: 2}}
	results := []Result{
		{Engine: "tempest", Workload: "sync16", Goroutines: 16, OpsPerSec: 20000, Sync: &SyncFigures{CommitsPerSync: 8}},
		{Engine: "pebble", Workload: "sync16", Goroutines: 16, OpsPerSec: 30000, Sync: &SyncFigures{}},
		{Engine: "goleveldb", Workload: "sync16", Error: "boom", Sync: &SyncFigures{}},
		{Engine: "tempest", Workload: "fillseq", OpsPerSec: 300},
		{Engine: "tempest", Workload: "sync", Goroutines: 1, OpsPerSec: 2000, Sync: &SyncFigures{CommitsPerSync: 1}},
	}
	for i := range results {
		results[i].AttachProbes(probes...)
	}
	var b bytes.Buffer
	WriteSyncTable(&b, results, []string{"fillseq", "sync", "sync16"}, Engines)
	out := b.String()
	t.Log("\n" + out)
	for _, line := range []string{
		"workload         engine    writers      ops/s commits/fsync  disk fsync/s     ratio  target ≥ 0.70",
		"sync             tempest         1       2000          1.00          2500      0.80  met",
		"sync16           tempest        16      20.0k          8.00          2500      1.00  met",
		"                 pebble         16      30.0k             -          2500         -  -",
	} {
		if !strings.Contains(out, line+"\n") {
			t.Errorf("table lacks line %q", line)
		}
	}
	if strings.Contains(out, "fillseq") || strings.Contains(out, "goleveldb") {
		t.Errorf("table shows a workload that is not fsync-bound, or a failed run")
	}
	results[4].OpsPerSec = 1000 // 1000 ÷ 2500 = 0.4
	results[4].AttachProbes(probes...)
	b.Reset()
	WriteSyncTable(&b, results[3:], []string{"fillseq", "sync"}, Engines)
	if !strings.Contains(b.String(), "      0.40  missed\n") {
		t.Errorf("missed target not shown:\n%s", b.String())
	}
	results[4].OpsPerSec = 1749 // 1749 ÷ 2500 = 0.6996: shown truncated
	results[4].AttachProbes(probes...)
	b.Reset()
	WriteSyncTable(&b, results[3:], []string{"fillseq", "sync"}, Engines)
	if !strings.Contains(b.String(), "      0.69  missed\n") {
		t.Errorf("ratio 0.6996 not shown as 0.69 missed:\n%s", b.String())
	}
	for v, want := range map[float64]string{0.29: "0.29", 0.7: "0.70", 0.69999: "0.69", 1.5: "1.50", 0: "-"} {
		if got := formatSyncRatio(v); got != want {
			t.Errorf("formatSyncRatio(%v) = %s, want %s", v, got, want)
		}
	}
	b.Reset()
	WriteSyncTable(&b, results[3:4], []string{"fillseq"}, Engines)
	if b.Len() != 0 {
		t.Errorf("table without fsync-bound results: %q", b.String())
	}
}
