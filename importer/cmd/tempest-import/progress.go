package main

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// progress reports the keys read so far on standard error: a spinner
// with the count and the rate on a terminal (--progress bar), a line a
// second otherwise (lines), or nothing (off).
type progress struct {
	keys, bytes *atomic.Int64
	stop        chan struct{}
	wg          sync.WaitGroup
	bar         *mpb.Bar
	pool        *mpb.Progress
}

func startProgress(mode string, w io.Writer, keys, bytes *atomic.Int64) *progress {
	p := &progress{keys: keys, bytes: bytes, stop: make(chan struct{})}
	if mode == "auto" {
		mode = "lines"
		if isTerminal(w) {
			mode = "bar"
		}
	}
	switch mode {
	case "bar":
		p.pool = mpb.New(mpb.WithOutput(w), mpb.WithWidth(20), mpb.WithRefreshRate(150*time.Millisecond))
		p.bar = p.pool.AddSpinner(0,
			mpb.PrependDecorators(decor.Name("importing "), decor.CurrentNoUnit("%d keys")),
			mpb.AppendDecorators(decor.AverageSpeed(0, "%.0f keys/s", decor.WCSyncSpace), decor.Elapsed(decor.ET_STYLE_GO, decor.WCSyncSpace)))
		p.every(150*time.Millisecond, func(time.Duration) { p.bar.SetCurrent(p.keys.Load()) })
	case "lines":
		p.every(time.Second, func(elapsed time.Duration) {
			n := p.keys.Load()
			fmt.Fprintf(w, "importing: %d keys, %.1f MiB, %v, %.0f keys/s\n",
				n, float64(p.bytes.Load())/(1<<20), elapsed.Round(time.Second), float64(n)/elapsed.Seconds())
		})
	}
	return p
}

// every calls fn with the time elapsed, every period until finish.
func (p *progress) every(period time.Duration, fn func(time.Duration)) {
	start := time.Now()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				fn(time.Since(start))
			}
		}
	}()
}

// finish ends the report; ok says whether the import completed.
func (p *progress) finish(ok bool) {
	close(p.stop)
	p.wg.Wait()
	if p.bar == nil {
		return
	}
	if ok {
		p.bar.SetCurrent(p.keys.Load())
		p.bar.SetTotal(-1, true)
	} else {
		p.bar.Abort(false)
	}
	p.pool.Wait()
}
