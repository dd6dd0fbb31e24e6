package tempest

import "runtime"

// yielder makes a background loop (a flush or a compaction writing its
// outputs) give up its processor every yieldEvery entries, about every
// 100 µs.
//
// With as many processors (GOMAXPROCS) as busy goroutines, a foreground
// goroutine that stops for a moment (a system call long enough for the
// runtime to hand its processor on, a GC assist) comes back to find its
// processor taken by a flush or compaction, and waits for the scheduler's
// next preemption, up to 10 ms later. A loop that yields bounds that
// wait, at the cost of a scheduler call per thousand entries. In the
// bench on two cores, p99 write latency fell from 2.28 to 2.02 µs
// (fillrandom) and from 2.40 to 2.18 µs (overwrite), means of five
// alternated runs each, with throughput unchanged or up to 3% higher.
type yielder struct{ n int }

const yieldEvery = 1024

// step counts one entry, and yields on every yieldEvery-th.
func (y *yielder) step() {
	y.n++
	if y.n%yieldEvery == 0 {
		runtime.Gosched()
	}
}
