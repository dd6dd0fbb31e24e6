package benchmark

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// runPhases loads, settles and measures, filling res's throughput and
// latencies. It returns the workers for their byte counts.
func (r *run) runPhases(ctx context.Context, res *Result) ([]*worker, error) {
	r.inserted.Store(0)
	if r.wl.preload {
		if err := r.load(ctx); err != nil {
			return nil, fmt.Errorf("load: %w", err)
		}
		if err := r.eng.Settle(); err != nil {
			return nil, fmt.Errorf("settle: %w", err)
		}
	}
	r.nextInsert.Store(r.inserted.Load())
	n := r.wl.goroutines(r.opts)
	res.Goroutines = n
	workers := make([]*worker, n, n+1)
	for i := range workers {
		workers[i] = r.newWorker(i)
	}
	if r.wl.background != nil {
		workers = append(workers, r.newWorker(n))
	}
	defer func() {
		for _, w := range workers {
			if r.wl.closeWorker != nil {
				r.wl.closeWorker(w)
			}
		}
	}()
	if r.wl.initWorker != nil {
		for _, w := range workers[:n] {
			if err := r.wl.initWorker(w); err != nil {
				return workers, fmt.Errorf("prepare: %w", err)
			}
		}
	}
	stater, _ := r.eng.(SyncStater)
	var commits0, syncs0 uint64
	if stater != nil {
		commits0, syncs0 = stater.SyncStats()
	}
	elapsed, err := r.measure(ctx, workers[:n], workers[n:])
	if err != nil {
		return workers, err
	}
	r.summarize(res, workers, elapsed)
	if FsyncBound(r.wl.name, *r.opts) {
		res.Sync = &SyncFigures{}
		if stater != nil {
			commits1, syncs1 := stater.SyncStats()
			res.Sync.Commits, res.Sync.Syncs = commits1-commits0, syncs1-syncs0
			if res.Sync.Syncs > 0 {
				res.Sync.CommitsPerSync = float64(res.Sync.Commits) / float64(res.Sync.Syncs)
			}
		}
	}
	return workers, nil
}

func (r *run) newWorker(id int) *worker {
	h := fnv.New64a()
	h.Write([]byte(r.wl.name))
	w := &worker{r: r, id: id, rng: rand.New(rand.NewPCG(r.opts.Seed, h.Sum64()^uint64(id)))}
	names := r.wl.partNames()
	if r.wl.background != nil {
		names = append(slices.Clip(names), r.wl.backgroundPart)
	}
	for range names {
		w.parts = append(w.parts, newHistogram())
	}
	return w
}

// fail records the first error and stops the phase.
func (r *run) fail(err error) {
	r.errMu.Lock()
	if r.err == nil {
		r.err = err
	}
	r.errMu.Unlock()
	r.stop.Store(true)
}

// measure runs the measured phase and returns its wall time.
func (r *run) measure(ctx context.Context, workers, background []*worker) (time.Duration, error) {
	r.next.Store(0)
	r.limit = r.wl.measuredOps(r.opts.Num)
	start := time.Now()
	if r.opts.Duration > 0 {
		r.limit, r.deadline = 1<<62, start.Add(r.opts.Duration)
	}
	started := func() int64 { return min(r.next.Load(), r.limit) }
	stopProgress := r.startProgress("", start, started)
	defer stopProgress()
	stopTimeline := startTimeline(start, started)
	cancelWatch := context.AfterFunc(ctx, func() { r.fail(ctx.Err()) })
	defer cancelWatch()

	stopBackground := make(chan struct{})
	var bg sync.WaitGroup
	for _, w := range background {
		bg.Go(func() {
			if err := r.wl.background(w, stopBackground); err != nil {
				r.fail(fmt.Errorf("%s: %w", r.wl.backgroundPart, err))
			}
		})
	}
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Go(func() {
			if err := r.work(w); err != nil {
				r.fail(err)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	r.timeline = stopTimeline()
	close(stopBackground)
	bg.Wait()
	r.errMu.Lock()
	defer r.errMu.Unlock()
	return elapsed, r.err
}

// work runs measured operations until the phase ends.
func (r *run) work(w *worker) error {
	for !r.stop.Load() {
		i := r.next.Add(1) - 1
		start := time.Now()
		if i >= r.limit || (!r.deadline.IsZero() && start.After(r.deadline)) {
			return nil
		}
		part, err := r.wl.op(w, i)
		if err != nil {
			return err
		}
		record(w.parts[part], time.Since(start))
	}
	return nil
}

// summarize fills res from the workers' histograms.
func (r *run) summarize(res *Result, workers []*worker, elapsed time.Duration) {
	names := r.wl.partNames()
	measured := len(names)
	if r.wl.background != nil {
		names = append(slices.Clip(names), r.wl.backgroundPart)
	}
	total := newHistogram()
	var parts []Part
	for p, name := range names {
		h := newHistogram()
		for _, w := range workers {
			h.Merge(w.parts[p])
		}
		if p < measured {
			total.Merge(h)
		}
		parts = append(parts, Part{
			Name: name, Ops: h.TotalCount(), OpsPerSec: float64(h.TotalCount()) / elapsed.Seconds(),
			Latency: summarize(h), Background: p >= measured,
		})
	}
	res.Ops = total.TotalCount()
	res.Seconds = elapsed.Seconds()
	res.OpsPerSec = float64(res.Ops) / elapsed.Seconds()
	res.Latency = summarize(total)
	res.Percentiles = percentiles(total)
	res.Timeline = r.timeline
	if len(parts) > 1 {
		res.Parts = parts
	}
}

// startProgress prints a line a second until the returned func is called.
func (r *run) startProgress(phase string, start time.Time, count func() int64) (stop func()) {
	if r.progress == nil {
		return func() {}
	}
	return every(time.Second, func(now time.Time) {
		s := now.Sub(start).Seconds()
		n := count()
		fmt.Fprintf(r.progress, "%-9s %-16s %-5s %6.0fs %12d ops %12.0f ops/s\n",
			r.eng.Name(), r.wl.name, phase, s, n, float64(n)/s)
	})
}

// every calls fn with the time, every period, on a goroutine of its own,
// until the returned function is called; that function returns once fn
// has returned for the last time.
func every(period time.Duration, fn func(now time.Time)) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case now := <-t.C:
				fn(now)
			}
		}
	})
	return func() { close(done); wg.Wait() }
}
