package tempest

import (
	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
	"github.com/tempestdb/tempest/wal"
)

// rotateMemTable freezes the active memtable and starts a new memtable
// with a new WAL file. The old WAL is closed with an end record naming the
// new one (which makes its records durable), the new one is created, and
// a manifest edit records the old one's final size and checksum, before
// any record goes to the new one. So a WAL that holds records always
// follows a WAL recorded closed (see the recovery table in
// docs/design.md). The new memtable's arena holds size bytes. Leader
// only; called without d.mu.
func (d *DB) rotateMemTable(size int) error {
	num, err := d.allocFileNum()
	if err != nil {
		return err
	}
	prev := d.commit.log
	d.commit.log = nil
	if err := prev.Close(num); err != nil {
		return err
	}
	log, err := wal.Create(d.fs, d.dirs.wal, num, d.walOptions())
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
	m := d.newMemTableOfSize(num, size)
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
