package benchmark

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

// TestProbeFsync runs a tiny probe on a temp dir: it syncs, reports a
// rate and ordered latencies, and leaves nothing behind.
func TestProbeFsync(t *testing.T) {
	dir := t.TempDir()
	p, err := ProbeFsync(context.Background(), dir, 20*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", p)
	if p.Syncs < 1 || p.Seconds < 0.02 || p.SyncsPerSec <= 0 {
		t.Errorf("syncs %d in %.3fs = %.0f/s", p.Syncs, p.Seconds, p.SyncsPerSec)
	}
	if got := float64(p.Syncs) / p.Seconds; got != p.SyncsPerSec {
		t.Errorf("rate %v, want syncs/seconds %v", p.SyncsPerSec, got)
	}
	if p.Latency.P50 <= 0 || p.Latency.P99 < p.Latency.P50 || p.Latency.Max < p.Latency.P99 {
		t.Errorf("latency %+v", p.Latency)
	}
	if p.Method != datasyncMethod || p.RecordSize != probeRecordSize || p.Dir != dir || p.Date.IsZero() {
		t.Errorf("probe %+v", p)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("probe left %d entries in %s", len(left), dir)
	}
	var b strings.Builder
	p.When = "before sync16"
	p.WriteText(&b)
	if !strings.HasPrefix(b.String(), "fsyncprobe       disk ") || !strings.Contains(b.String(), " fsyncs/s ") ||
		!strings.HasSuffix(b.String(), ", before sync16)\n") {
		t.Errorf("text %q", b.String())
	}
}

func TestProbeFsyncErrors(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ProbeFsync(ctx, t.TempDir(), time.Second); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled probe: %v", err)
	}
	if _, err := ProbeFsync(context.Background(), t.TempDir()+"/missing/dir", time.Millisecond); err == nil {
		t.Error("probe in a missing directory succeeded")
	}
}
