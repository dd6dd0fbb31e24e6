package errorfs

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// LatencyInjector delays operations without failing them: each is delayed
// by d with probability p. Combine it with If to select operations.
type LatencyInjector struct {
	d       time.Duration
	p       float64
	sleep   func(time.Duration)
	delayed atomic.Int64
	mu      struct {
		sync.Mutex
		rng *rand.Rand
	}
}

// Latency returns a LatencyInjector seeded with seed. It sleeps with
// time.Sleep unless WithSleep replaces it.
func Latency(d time.Duration, p float64, seed uint64) *LatencyInjector {
	li := &LatencyInjector{d: d, p: p, sleep: time.Sleep}
	li.mu.rng = rand.New(rand.NewPCG(seed, seed^0x2545f4914f6cdd1d))
	return li
}

// WithSleep makes li call sleep instead of time.Sleep, so tests can use a
// fake clock. Call it before li is used.
func (li *LatencyInjector) WithSleep(sleep func(time.Duration)) *LatencyInjector {
	li.sleep = sleep
	return li
}

// MaybeError implements Injector; it always returns nil.
func (li *LatencyInjector) MaybeError(Op) error {
	li.mu.Lock()
	hit := li.mu.rng.Float64() < li.p
	li.mu.Unlock()
	if hit {
		li.delayed.Add(1)
		li.sleep(li.d)
	}
	return nil
}

// Delayed returns how many operations li has delayed.
func (li *LatencyInjector) Delayed() int64 { return li.delayed.Load() }
