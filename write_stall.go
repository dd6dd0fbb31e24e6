package tempest

import (
	"sync/atomic"
	"time"

	"github.com/tempestdb/tempest/internal/manifest"
)

// Write slowdowns and stops (write back-pressure).
//
// Two signals measure how far compactions lag behind writes: the L0 file
// count, and the compaction debt (the bytes compactions must still
// rewrite, Metrics.CompactionDebt). Each has a slowdown threshold and a
// stop threshold (Options.L0SlowdownWritesThreshold and
// L0StopWritesThreshold; PendingCompactionBytesSlowdown and
// PendingCompactionBytesStop).
//
//   - Slowdown. When a signal is at or over its slowdown threshold, the
//     commit leader delays each batch before it makes room in the memtable,
//     so that the write rate is at most
//     rate(p) = DelayedWriteRate × max(1-p, 1/16) bytes per second, where
//     p = (signal-slowdown)/(stop-slowdown), clamped to [0, 1], is the
//     pressure of the signal under most pressure. A batch of n memtable
//     bytes owes n/rate(p) of delay; owed delay accrues over batches and is
//     taken once it reaches minWriteDelay (so that tiny batches do not sleep
//     microseconds each), and is forgotten when no signal is over its
//     threshold. A delay ends early when the DB closes (the writer gets
//     ErrClosed), fails, or the pressure is gone (a flush or compaction
//     finished). A slowdown threshold equal to its stop threshold disables
//     that signal's slowdown.
//   - Stop. When the active memtable is full and a signal is at or over its
//     stop threshold, the leader waits (stallLocked) until a flush or
//     compaction changes the picture, as it does while
//     MaxImmutableMemTables frozen memtables await flush. Writes that fit
//     in the active memtable still proceed (at the slowest rate): they grow
//     neither L0 nor the debt until the memtable is flushed.
//
// With DisableAutomaticCompactions, nothing pays the debt down unless the
// application calls DB.Compact, so the L0 and debt signals neither slow
// nor stop writes; the memtable limit still stops them.
//
// The debt is computed from the LSM version (a pass over its files) once
// per version, not once per write: the leader caches it with the version
// it was computed from and recomputes it only when the version changed.
//
// Queues stay bounded during slowdowns and stops: the write API is
// synchronous, so each waiting writer is one goroutine blocked in Apply
// holding one batch (at most MaxBatchSize) that the caller owns, waiting
// for the commit lock or for its batch to be published; nothing else
// queues. Memory in
// memtables is bounded by (MaxImmutableMemTables+1) × MemTableSize.
// Nothing is buffered on a writer's behalf beyond that.
//
// Every delay and every stop wait is counted and timed (Metrics.
// WriteSlowdowns, WriteSlowdownDuration, WriteStalls, WriteStallDuration)
// and reported to the EventListener as a WriteStallBegin/WriteStallEnd
// pair with the reason.

// Write stall reasons (WriteStallInfo.Reason).
const (
	stallMemTables          = "memtables"
	stallL0                 = "l0"
	stallDebt               = "compaction-debt"
	slowdownL0              = "l0-slowdown"
	slowdownDebt            = "compaction-debt-slowdown"
	minWriteDelay           = time.Millisecond
	slowestRateDivisor      = 16
	defaultDelayedWriteRate = 16 << 20
)

// writeSlowdown is the DB's slowdown state.
type writeSlowdown struct {
	// owed is the delay accrued by slowed batches and not yet taken. Owned
	// by the commit leader.
	owed time.Duration
	// debtVersion is the version debt was computed from. Guarded by d.mu.
	debtVersion *manifest.Version
	debt        uint64
	// sleep, when set (by tests), replaces the timed wait of a delay. It is
	// called without d.mu.
	sleep func(time.Duration)

	count atomic.Uint64 // delays taken
	nanos atomic.Uint64 // their total length
}

// pressure says how hard writes must be slowed: the reason, and the
// fraction p in [0, 1] of the way from the slowdown threshold to the stop
// threshold. slowed is false when no signal is at or over its slowdown
// threshold.
type pressure struct {
	slowed bool
	reason string
	p      float64
}

// compactionDebtLocked returns the compaction debt of the current version,
// recomputing it only when the version changed. Requires d.mu.
func (d *DB) compactionDebtLocked() uint64 {
	v := d.mu.readState.version
	if d.slow.debtVersion != v {
		d.slow.debt = compactionDebt(d.picker.Info(v, nil))
		d.slow.debtVersion = v
	}
	return d.slow.debt
}

// backPressure reports whether the L0 and debt signals apply: only while
// automatic compactions can pay them down.
func (d *DB) backPressure() bool {
	return !d.opts.DisableAutomaticCompactions
}

// pressureLocked returns the current slowdown pressure. Requires d.mu.
func (d *DB) pressureLocked() pressure {
	var pr pressure
	if !d.backPressure() {
		return pr
	}
	o := d.opts
	consider := func(reason string, x, slow, stop float64) {
		if slow >= stop || x < slow {
			return
		}
		p := min((x-slow)/(stop-slow), 1)
		if !pr.slowed || p > pr.p {
			pr = pressure{slowed: true, reason: reason, p: p}
		}
	}
	consider(slowdownL0, float64(len(d.mu.readState.version.Levels[0])),
		float64(o.L0SlowdownWritesThreshold), float64(o.L0StopWritesThreshold))
	consider(slowdownDebt, float64(d.compactionDebtLocked()),
		float64(o.PendingCompactionBytesSlowdown), float64(o.PendingCompactionBytesStop))
	return pr
}

// delayFor returns the delay owed for writing n bytes under pressure p.
func (d *DB) delayFor(n uint64, p float64) time.Duration {
	rate := float64(d.opts.DelayedWriteRate) * max(1-p, 1.0/slowestRateDivisor)
	secs := float64(n) / rate
	if secs >= float64(time.Hour/time.Second) {
		return time.Hour // far beyond any useful delay; avoids overflow
	}
	return time.Duration(secs * float64(time.Second))
}

// maybeSlowDown delays the commit leader before it writes a batch of n
// memtable bytes, if compactions lag behind. It returns ErrClosed if the
// DB closes during the delay, or the background error if it fails. Leader
// only; called without d.mu.
func (d *DB) maybeSlowDown(n uint64) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	pr := d.pressureLocked()
	if !pr.slowed {
		d.slow.owed = 0
		return nil
	}
	d.slow.owed += d.delayFor(n, pr.p)
	if d.slow.owed < minWriteDelay {
		return nil
	}
	delay := d.slow.owed
	d.slow.owed = 0

	d.slow.count.Add(1)
	start := d.opts.Clock.Now()
	l := d.opts.EventListener
	if l.WriteStallBegin != nil {
		l.WriteStallBegin(WriteStallInfo{Reason: pr.reason, Delay: delay})
	}
	err := d.delayLocked(delay)
	if l.WriteStallEnd != nil {
		l.WriteStallEnd()
	}
	d.slow.nanos.Add(uint64(max(d.opts.Clock.Now().Sub(start), 0)))
	return err
}

// delayLocked waits for delay, or until the DB closes or fails or the
// pressure is gone. d.mu is released while waiting. Requires d.mu.
func (d *DB) delayLocked(delay time.Duration) error {
	if sleep := d.slow.sleep; sleep != nil {
		d.mu.Unlock()
		sleep(delay)
		d.mu.Lock()
	} else {
		// The timer's flag is guarded by d.mu; the wait does not depend on
		// the Clock, so a virtual clock cannot make it hang.
		fired := false
		t := time.AfterFunc(delay, func() {
			d.mu.Lock()
			fired = true
			d.mu.cond.Broadcast()
			d.mu.Unlock()
		})
		defer t.Stop()
		for !fired && !d.mu.closing && d.mu.bgErr == nil && d.pressureLocked().slowed {
			d.mu.cond.Wait()
		}
	}
	switch {
	case d.mu.bgErr != nil:
		return d.mu.bgErr
	case d.mu.closing:
		return ErrClosed
	}
	return nil
}

// makeRoomForWrite returns the active memtable once it can hold mem more
// bytes. It first delays the batch if compactions lag behind (the
// slowdown above). It rotates a full memtable (and its WAL), and stalls
// while MaxImmutableMemTables frozen memtables await flush, or while L0 or
// the compaction debt is at its stop threshold. Only the commit leader
// calls it.
func (d *DB) makeRoomForWrite(mem uint64) (*memTable, error) {
	if err := d.maybeSlowDown(mem); err != nil {
		return nil, err
	}
	var deadline time.Time
	if t := d.opts.WriteStallTimeout; t > 0 {
		deadline = d.opts.Clock.Now().Add(t)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for {
		switch {
		case d.mu.bgErr != nil:
			return nil, d.mu.bgErr
		case d.mu.closing:
			return nil, ErrClosed
		case d.mu.mem.fits(mem):
			return d.mu.mem, nil
		case len(d.mu.imms) >= d.opts.MaxImmutableMemTables:
			if err := d.stallLocked(stallMemTables, deadline); err != nil {
				return nil, err
			}
			continue
		case d.backPressure() && len(d.mu.readState.version.Levels[0]) >= d.opts.L0StopWritesThreshold:
			if err := d.stallLocked(stallL0, deadline); err != nil {
				return nil, err
			}
			continue
		case d.backPressure() && d.compactionDebtLocked() >= d.opts.PendingCompactionBytesStop:
			if err := d.stallLocked(stallDebt, deadline); err != nil {
				return nil, err
			}
			continue
		}
		d.mu.Unlock()
		err := d.rotateMemTable(d.memTableSizeFor(mem))
		d.mu.Lock()
		if err != nil {
			return nil, d.setBackgroundErrorLocked(err)
		}
	}
}

// stallLocked waits once for background work to finish (a flush or a
// compaction), an error, or close; the caller re-checks its condition.
// Each wait is counted and timed.
func (d *DB) stallLocked(reason string, deadline time.Time) error {
	d.counters.stalls.Add(1)
	start := d.opts.Clock.Now()
	defer func() { d.counters.stallNanos.Add(uint64(d.opts.Clock.Now().Sub(start))) }()
	d.opts.Logger.Warn("tempest: write stall", "reason", reason, "imms", len(d.mu.imms),
		"l0", len(d.mu.readState.version.Levels[0]), "debt", d.compactionDebtLocked())
	if l := d.opts.EventListener; l.WriteStallBegin != nil {
		l.WriteStallBegin(WriteStallInfo{Reason: reason})
	}
	if l := d.opts.EventListener; l.WriteStallEnd != nil {
		defer l.WriteStallEnd()
	}
	if deadline.IsZero() {
		d.mu.cond.Wait()
		return nil
	}
	wait := deadline.Sub(d.opts.Clock.Now())
	if wait <= 0 {
		return errStallTimeout
	}
	t := time.AfterFunc(wait, func() {
		d.mu.Lock()
		d.mu.cond.Broadcast()
		d.mu.Unlock()
	})
	d.mu.cond.Wait()
	t.Stop()
	return nil
}

var errStallTimeout = stallTimeoutError{}

type stallTimeoutError struct{}

func (stallTimeoutError) Error() string {
	return "tempest: write stalled longer than WriteStallTimeout (memtables await flush or compactions lag)"
}

// memTableSizeFor is the size of the memtable a rotation makes for a
// batch of mem bytes: MemTableSize, or larger for a batch that
// would not fit an empty one. That memtable stays the active one until
// it is full, like any other.
func (d *DB) memTableSizeFor(mem uint64) int {
	size, ok := memTableSizeFor(mem, d.opts.MemTableSize)
	if !ok { // beyond MaxBatchSizeLimit: the batch checks refuse it first
		return d.opts.MemTableSize
	}
	return size
}
