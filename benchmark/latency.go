package benchmark

import (
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Latencies are recorded in nanoseconds, from 1 ns to one minute, to 3
// significant digits; a longer operation is recorded as one minute.
const maxLatency = int64(time.Minute)

func newHistogram() *hdrhistogram.Histogram { return hdrhistogram.New(1, maxLatency, 3) }

func record(h *hdrhistogram.Histogram, d time.Duration) {
	// RecordValue fails only for values out of range, which are clamped.
	_ = h.RecordValue(min(max(int64(d), 1), maxLatency))
}

// Latency summarizes a latency distribution, in nanoseconds.
type Latency struct {
	P50  int64   `json:"p50_ns"`
	P99  int64   `json:"p99_ns"`
	P999 int64   `json:"p999_ns"`
	Max  int64   `json:"max_ns"`
	Mean float64 `json:"mean_ns"`
}

func summarize(h *hdrhistogram.Histogram) Latency {
	if h.TotalCount() == 0 {
		return Latency{}
	}
	return Latency{
		P50:  h.ValueAtQuantile(50),
		P99:  h.ValueAtQuantile(99),
		P999: h.ValueAtQuantile(99.9),
		Max:  h.Max(),
		Mean: h.Mean(),
	}
}
