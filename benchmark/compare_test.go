package benchmark

import (
	"bytes"
	"strings"
	"testing"
)

func TestCompareAndTable(t *testing.T) {
	results := []Result{
		{Engine: "tempest", Workload: "fillseq", OpsPerSec: 300, Latency: Latency{P99: 2000}, PeakRSS: 10 << 20, DiskBytes: 4 << 20, WriteAmp: 1.5},
		{Engine: "pebble", Workload: "fillseq", OpsPerSec: 100, Latency: Latency{P99: 4000}, PeakRSS: 20 << 20, DiskBytes: 2 << 20, WriteAmp: 2},
		{Engine: "badger", Workload: "fillseq", OpsPerSec: 150, Latency: Latency{P99: 1000}, PeakRSS: 40 << 20, DiskBytes: 4 << 20, OSWriteAmp: 3},
		{Engine: "goleveldb", Workload: "fillseq", Error: "boom\nstack"},
		{Engine: "pebble", Workload: "scan", OpsPerSec: 100},
	}
	ratios := Compare(results, []string{"fillseq", "scan"}, Engines)
	want := []Ratio{
		{Workload: "fillseq", Peer: "pebble", Throughput: 3, P99: 0.5, PeakRSS: 0.5, Disk: 2},
		{Workload: "fillseq", Peer: "badger", Throughput: 2, P99: 2, PeakRSS: 0.25, Disk: 1},
	}
	if len(ratios) != len(want) {
		t.Fatalf("ratios %+v", ratios)
	}
	for i := range want {
		if ratios[i] != want[i] {
			t.Errorf("ratio %d = %+v, want %+v", i, ratios[i], want[i])
		}
	}
	var b bytes.Buffer
	WriteTable(&b, results, []string{"fillseq", "scan"}, Engines)
	out := b.String()
	t.Log("\n" + out)
	for _, line := range []string{
		"fillseq          tempest          300     2.0µs    1.50   10.0MiB    4.0MiB |",
		"                 pebble           100     4.0µs    2.00   20.0MiB    2.0MiB |     3.00   0.50   0.50   2.00",
		"                 badger           150     1.0µs   3.00*   40.0MiB    4.0MiB |     2.00   2.00   0.25   1.00",
		"                 goleveldb FAILED: boom",
		"scan             pebble           100         -       -         -         - |",
	} {
		if !strings.Contains(out, line+"\n") {
			t.Errorf("table lacks line %q", line)
		}
	}
}

func TestBenchstatLine(t *testing.T) {
	r := Result{Engine: "goleveldb", Workload: "ycsb-a", Ops: 1000, Seconds: 0.5, Latency: Latency{P99: 1234}}
	var b bytes.Buffer
	r.WriteBenchstat(&b)
	if got, want := b.String(), "BenchmarkGoleveldb/ycsb-a \t 1000 \t 500000.0 ns/op \t 1234 p99-ns\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	b.Reset()
	r.Error = "x"
	r.WriteBenchstat(&b)
	if b.Len() != 0 {
		t.Errorf("failed result printed %q", b.String())
	}
}
