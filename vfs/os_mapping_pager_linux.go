//go:build linux

package vfs

import (
	"runtime"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// pager is the goroutine of an osMapping that prepares the window's pages
// ahead of the stores (MADV_POPULATE_WRITE, see Page faults) and drops
// them from the process behind the stores (MADV_DONTNEED, see Resident
// pages), so that neither system call runs in the writer's Store.
//
// Store publishes the end of its bytes (storedTo) and wakes the pager
// when that end comes within half of populateAhead of the prepared pages,
// or a dropBehind step past the dropped ones. The pager makes its calls
// holding windowMu, so the window it advises cannot be unmapped or
// replaced under it, and never past the allocated size. Both calls are
// advice: a store that outruns the pager takes its page faults itself,
// and a failure changes nothing but the pager's own state (a failed
// prefault switches prefaulting off, as before).
//
// Invariant: populated and dropped lie in the current window (they are
// reset with it), and every page below dropped, within the window, was
// stored to before it was dropped.
type pager struct {
	// wake (capacity 1) asks the goroutine for a round; quit ends it, and
	// done is closed when it has ended.
	wake, quit, done chan struct{}
	// storedTo is the end of the latest Store. Written by the writer.
	storedTo atomic.Int64
	// populated and dropped are the page-aligned offsets below which the
	// window's pages were prepared, and dropped. Written under windowMu
	// (by the goroutine, and by remap); the writer reads them without it.
	populated, dropped atomic.Int64
	// noPrefault is set once MADV_POPULATE_WRITE failed. Under windowMu.
	noPrefault bool
	// yieldedAt is the stores' end when the writer last yielded to the
	// goroutine (stored). Writer only (remap, which resets it, runs in a
	// Store).
	yieldedAt int64
}

// startPager starts m's pager goroutine; stopPager ends it.
func (m *osMapping) startPager() {
	p := &m.pager
	p.wake, p.quit, p.done = make(chan struct{}, 1), make(chan struct{}), make(chan struct{})
	go m.page()
}

func (m *osMapping) stopPager() {
	if m.pager.quit == nil {
		return
	}
	close(m.pager.quit)
	<-m.pager.done
}

// restartLocked resets the pager's offsets to from, the first page of a
// new window that stores will reach. Requires windowMu.
func (p *pager) restartLocked(from int64) {
	p.populated.Store(from)
	p.dropped.Store(from)
	p.storedTo.Store(from)
	p.yieldedAt = from - populateAhead
}

// stored records that the stores reached end, and wakes the goroutine if
// it has work. Writer only.
//
// A woken goroutine waits for a processor, and Go's scheduler gives it
// the writer's own (it is queued there) once the writer blocks or is
// preempted, up to 10 ms later: a writer that never blocks (unsynced
// writes) outran the pager and took the page faults itself. So when the
// stores come within a quarter of populateAhead of the prepared pages,
// the writer yields its processor, again every sixteenth of populateAhead
// until the pager has moved on (a yield does not always run the pager
// first: the scheduler now and then takes the global queue, where the
// writer went, before its own).
func (p *pager) stored(end int64) {
	p.storedTo.Store(end)
	populated := p.populated.Load()
	if end+populateAhead/2 < populated && end-p.dropped.Load() < 2*dropBehind {
		return
	}
	select {
	case p.wake <- struct{}{}:
	default: // a round is already due
	}
	if end+populateAhead/4 >= populated && end-p.yieldedAt >= populateAhead/16 {
		p.yieldedAt = end
		runtime.Gosched()
	}
}

// page runs the pager's rounds until quit.
func (m *osMapping) page() {
	p := &m.pager
	defer close(p.done)
	for {
		select {
		case <-p.quit:
			return
		case <-p.wake:
		}
		m.windowMu.Lock()
		if m.region != nil {
			end := p.storedTo.Load()
			m.prefaultLocked(end)
			m.dropWrittenLocked(end)
		}
		m.windowMu.Unlock()
	}
}

// prefaultLocked prepares the window's pages from the stores' end up to
// populateAhead bytes past it, within the allocated size, with one
// madvise call. Requires windowMu.
func (m *osMapping) prefaultLocked(end int64) {
	p := &m.pager
	if p.noPrefault {
		return
	}
	page := int64(unix.Getpagesize())
	from := max(p.populated.Load(), end-end%page, m.base)
	to := end + populateAhead
	to += (page - to%page) % page
	to = min(to, m.allocated, m.base+int64(len(m.region)))
	if to <= from {
		return
	}
	if err := unix.Madvise(m.region[from-m.base:to-m.base], unix.MADV_POPULATE_WRITE); err != nil {
		p.noPrefault = true
		return
	}
	p.populated.Store(to)
}

// dropWrittenLocked drops from the process the window's pages more than
// dropBehind below end, once they make up dropBehind bytes. Requires
// windowMu.
func (m *osMapping) dropWrittenLocked(end int64) {
	p := &m.pager
	to := min(end-dropBehind, m.base+int64(len(m.region)))
	to -= to % int64(unix.Getpagesize())
	from := max(p.dropped.Load(), m.base)
	if to-from < dropBehind {
		return
	}
	if err := unix.Madvise(m.region[from-m.base:to-m.base], unix.MADV_DONTNEED); err == nil {
		p.dropped.Store(to)
	}
}
