package benchmark

import (
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// timelineInterval is the period of a result's timeline: short enough
// that a phase of a second shows a shape, long enough to cost nothing.
const timelineInterval = 100 * time.Millisecond

// TimelinePoint is the throughput of one interval of the measured phase.
type TimelinePoint struct {
	// Seconds is the end of the interval, from the start of the phase.
	Seconds float64 `json:"s"`
	// OpsPerSec is the rate of operations started within the interval.
	OpsPerSec float64 `json:"ops_per_sec"`
}

// startTimeline samples count every timelineInterval from start, until
// the returned function is called; that function takes a last sample and
// returns the points.
func startTimeline(start time.Time, count func() int64) (stop func() []TimelinePoint) {
	var (
		points []TimelinePoint
		last   int64
		lastAt = start
	)
	sample := func(now time.Time) {
		n := count()
		if d := now.Sub(lastAt).Seconds(); d > 0 {
			points = append(points, TimelinePoint{Seconds: now.Sub(start).Seconds(), OpsPerSec: float64(n-last) / d})
		}
		last, lastAt = n, now
	}
	stopTicks := every(timelineInterval, sample)
	return func() []TimelinePoint {
		stopTicks()
		sample(time.Now())
		return points
	}
}

// Percentile is one point of a latency distribution: the latency at or
// below which Quantile percent of the operations completed.
type Percentile struct {
	Quantile float64 `json:"q"`
	ValueNs  int64   `json:"ns"`
	Count    int64   `json:"count"`
}

// percentiles is h's distribution as HdrHistogram prints it: five points
// per halving of the distance to 100%, so the tail is drawn as finely as
// the middle.
func percentiles(h *hdrhistogram.Histogram) []Percentile {
	if h.TotalCount() == 0 {
		return nil
	}
	var out []Percentile
	for _, b := range h.CumulativeDistributionWithTicks(5) {
		out = append(out, Percentile{Quantile: b.Quantile, ValueNs: b.ValueAt, Count: b.Count})
	}
	return out
}
