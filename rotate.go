package tempest

import (
	"time"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
	"github.com/tempestdb/tempest/wal"
)

// makeRoomForWrite returns the active memtable once it can hold mem more
// bytes. It first delays the group if compactions lag behind (see
// write_slowdown.go). It rotates a full memtable (and its WAL), and stalls
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
		err := d.rotateMemTable()
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

// rotateMemTable freezes the active memtable and starts a new memtable
// with a new WAL file. The old WAL is closed with an end record naming the
// new one (which makes its records durable), the new one is created, and
// a manifest edit records the old one's final size and checksum, before
// any record goes to the new one. So a WAL that holds records always
// follows a WAL recorded closed (see the recovery table in
// docs/design.md). Leader only; called without d.mu.
func (d *DB) rotateMemTable() error {
	num, err := d.allocFileNum()
	if err != nil {
		return err
	}
	prev := d.commit.log
	d.commit.log = nil
	if err := prev.Close(num); err != nil {
		return err
	}
	log, err := wal.Create(d.fs, d.dirs.wal, num, d.opts.walOptions())
	if err != nil {
		return err
	}
	closed := closedLog(prev)
	if err := d.applyEdit(&manifest.Edit{ClosedLogs: []manifest.ClosedLog{closed}}); err != nil {
		log.Abandon()
		return err
	}
	d.commit.log = log
	if l := d.opts.EventListener; l.WALCreated != nil {
		l.WALCreated(WALInfo{FileNum: uint64(num)})
	}
	m := d.newMemTable(num)
	d.chargeCache(m)
	d.mu.Lock()
	d.mu.mem.lastSeq = d.commit.lastSeq // the leader wrote the old WAL's last batch
	d.mu.mem.closed = &closed
	d.mu.imms = append(d.mu.imms, d.mu.mem)
	d.mu.mem = m
	old := d.updateReadStateLocked()
	d.mu.Unlock()
	old.unref()
	d.maybeScheduleFlush()
	return nil
}

// logNumAfter returns the WAL holding the writes that follow memtable
// imms[i]: the next frozen memtable's, or the active one's. Requires d.mu.
func (d *DB) logNumAfterLocked(i int) base.FileNum {
	if i+1 < len(d.mu.imms) {
		return d.mu.imms[i+1].logNum
	}
	return d.mu.mem.logNum
}

// closedLog is the manifest's record of a WAL that Close closed.
func closedLog(w *wal.Writer) manifest.ClosedLog {
	f := w.Final()
	return manifest.ClosedLog{FileNum: w.Num(), Size: uint64(f.Size), Checksum: f.Checksum}
}
