package benchmark

import (
	"context"
	"time"
)

// Settled is the size on disk of a database left alone after its
// measured phase: no call is made to the engine, so any space it gives
// back comes from its own background work (compactions, blob file
// rewrites; Badger's value log keeps its garbage until a GC call).
type Settled struct {
	// Seconds is how long the run waited; Steady is false when the disk
	// usage was still changing when Options.SettleWait ran out.
	Seconds float64 `json:"seconds"`
	Steady  bool    `json:"steady"`
	// DiskBytes is the size on disk then, SpaceAmp its ratio to the live
	// bytes.
	DiskBytes int64   `json:"disk_bytes"`
	SpaceAmp  float64 `json:"space_amp"`
}

// settledQuiet is how long the disk usage must stay the same for a
// database to count as settled; settledPoll how often it is read.
const (
	settledQuiet = 2 * time.Second
	settledPoll  = 100 * time.Millisecond
)

// waitSettled polls eng's disk usage until it has not changed for
// settledQuiet, or wait is over, or ctx is done.
func waitSettled(ctx context.Context, eng Engine, wait time.Duration) (*Settled, error) {
	start := time.Now()
	last, err := eng.DiskUsage()
	if err != nil {
		return nil, err
	}
	since := start
	ticker := time.NewTicker(settledPoll)
	defer ticker.Stop()
	for {
		now := time.Now()
		if now.Sub(since) >= settledQuiet {
			return &Settled{Seconds: now.Sub(start).Seconds(), Steady: true, DiskBytes: last}, nil
		}
		if now.Sub(start) >= wait {
			return &Settled{Seconds: now.Sub(start).Seconds(), DiskBytes: last}, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-ticker.C:
		}
		size, err := eng.DiskUsage()
		if err != nil {
			return nil, err
		}
		if size != last {
			last, since = size, time.Now()
		}
	}
}
