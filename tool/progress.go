package tool

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"
)

// Progress of long-running commands (load, dump, db check) goes to
// standard error, so that it never mixes with data on standard output.
// The --progress flag picks how:
//
//	auto   a bar when standard error is a terminal, else lines (default)
//	bar    an mpb progress bar, redrawn in place
//	lines  one status line per second (for logs and pipes)
//	off    nothing
//
// Commands count work in an atomic counter; a ticker copies it to the
// display, so counting costs one atomic add whatever the display.
const (
	progressAuto  = "auto"
	progressBar   = "bar"
	progressLines = "lines"
	progressOff   = "off"
)

// statusInterval is the period of status lines (a variable for tests).
var statusInterval = time.Second

// barRefresh is the period at which the bar picks up the counter.
const barRefresh = 120 * time.Millisecond

// progress reports how much of a task is done. Units are bytes.
type progress struct {
	name  string
	total int64 // 0 if unknown
	cur   *atomic.Int64

	stop chan struct{}
	wg   sync.WaitGroup
	once sync.Once

	bar  *mpb.Bar
	pool *mpb.Progress
}

// checkProgressMode validates the --progress flag.
func checkProgressMode(mode string) error {
	switch mode {
	case progressAuto, progressBar, progressLines, progressOff:
		return nil
	}
	return usagef("--progress %q: want auto, bar, lines or off", mode)
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// startProgress starts reporting on w a task of total bytes (0: unknown),
// whose bytes done are counted in done (nil: a counter of its own,
// advanced with Add). The caller must call finish.
func startProgress(mode string, w io.Writer, name string, total int64, done *atomic.Int64) *progress {
	if done == nil {
		done = new(atomic.Int64)
	}
	p := &progress{name: name, total: total, cur: done, stop: make(chan struct{})}
	if mode == progressAuto {
		mode = progressLines
		if isTerminal(w) {
			mode = progressBar
		}
	}
	switch mode {
	case progressBar:
		p.startBar(w)
	case progressLines:
		p.wg.Add(1)
		go p.lines(w)
	}
	return p
}

// Add counts n more bytes done.
func (p *progress) Add(n int64) { p.cur.Add(n) }

func (p *progress) startBar(w io.Writer) {
	opts := []mpb.ContainerOption{mpb.WithOutput(w), mpb.WithWidth(40), mpb.WithRefreshRate(barRefresh)}
	if !isTerminal(w) {
		// Asked for explicitly: draw anyway.
		opts = append(opts, mpb.ForceTTY(), mpb.WithAutoRefresh())
	}
	p.pool = mpb.New(opts...)
	name := decor.Name(p.name+" ", decor.WC{C: decor.DindentRight})
	if p.total > 0 {
		p.bar = p.pool.AddBar(p.total,
			mpb.PrependDecorators(name, decor.CountersKibiByte("% .1f / % .1f")),
			mpb.AppendDecorators(decor.Percentage(decor.WCSyncSpace), decor.Elapsed(decor.ET_STYLE_GO, decor.WCSyncSpace)))
	} else {
		p.bar = p.pool.AddSpinner(0,
			mpb.PrependDecorators(name, decor.CurrentKibiByte("% .1f")),
			mpb.AppendDecorators(decor.Elapsed(decor.ET_STYLE_GO, decor.WCSyncSpace)))
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(barRefresh)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.bar.SetCurrent(p.clamped())
			}
		}
	}()
}

// clamped is the counter, kept within a known total: reads of metadata
// can make the bytes read exceed the bytes to read.
func (p *progress) clamped() int64 {
	n := p.cur.Load()
	if p.total > 0 && n > p.total {
		n = p.total
	}
	return n
}

func (p *progress) lines(w io.Writer) {
	defer p.wg.Done()
	start := time.Now()
	t := time.NewTicker(statusInterval)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			elapsed := time.Since(start).Round(time.Second)
			n := p.clamped()
			if p.total > 0 {
				fmt.Fprintf(w, "%s: %s of %s (%d%%), %v\n", p.name, humanBytes(n), humanBytes(p.total), n*100/p.total, elapsed)
			} else {
				fmt.Fprintf(w, "%s: %s, %v\n", p.name, humanBytes(n), elapsed)
			}
		}
	}
}

// finish ends the report; ok says whether the task completed (a bar is
// filled) or failed (a bar stops where it is). It is idempotent.
func (p *progress) finish(ok bool) {
	p.once.Do(func() {
		close(p.stop)
		p.wg.Wait()
		if p.bar == nil {
			return
		}
		if ok {
			p.bar.SetCurrent(p.clamped())
			p.bar.SetTotal(-1, true)
		} else {
			p.bar.Abort(false)
		}
		p.pool.Wait()
	})
}
