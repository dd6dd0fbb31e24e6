package sim

import (
	"math/rand/v2"
	"time"
)

// scheduler is the DB's tempest.Scheduler in the simulator. A task runs
// inline (in Schedule, on the calling goroutine) with the seed's
// probability, or when inline is forced; otherwise it is queued and runs
// when the simulator drains the queue: before every step that may write
// or wait for background work, and at seeded points before reads. So all
// engine code runs on the simulator's goroutine, in an order the seed
// fixes.
type scheduler struct {
	s           *Sim
	rng         *rand.Rand
	inlinePct   int
	forceInline bool
	queue       []func()
}

// Schedule implements tempest.Scheduler.
func (sc *scheduler) Schedule(task func()) {
	if sc.forceInline || sc.rng.IntN(100) < sc.inlinePct {
		sc.run(task)
		return
	}
	sc.queue = append(sc.queue, task)
}

func (sc *scheduler) run(task func()) {
	prev := sc.s.phase
	sc.s.phase = "bg"
	task()
	sc.s.phase = prev
}

// drain runs the queued tasks, and any they queue, in order.
func (sc *scheduler) drain() {
	for len(sc.queue) > 0 {
		t := sc.queue[0]
		sc.queue = sc.queue[1:]
		sc.run(t)
	}
}

// drop forgets the queued tasks: their process crashed.
func (sc *scheduler) drop() { sc.queue = nil }

// clock is the simulated time. It moves only when a slow operation
// "sleeps".
type clock struct{ now time.Time }

// Now implements tempest.Clock.
func (c *clock) Now() time.Time { return c.now }

func (c *clock) sleep(d time.Duration) { c.now = c.now.Add(d) }
