package tempest

import (
	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
)

// Leases keep file numbers and sequence numbers from ever going back after
// a restart, even when the files or WAL records that used them are lost.
//
// The manifest records NextFileNum: no file number >= it has been used.
// Before a number at or beyond it is handed out, a manifest edit raises it
// by FileNumLeaseStep, and is fsynced. Likewise LastSeqNum bounds every
// sequence number ever assigned. On open, allocation resumes at the leased
// bounds, so numbers used before a crash are never handed out again.

// allocFileNum returns a file number never used before, for a WAL.
func (d *DB) allocFileNum() (base.FileNum, error) {
	d.alloc.mu.Lock()
	defer d.alloc.mu.Unlock()
	return d.allocFileNumLocked()
}

// allocTableNum returns a file number never used before, for an SST. The
// number is in flight until releaseTableNums: the orphan floor recorded
// with every edit stays at or below it (see orphanFloor).
func (d *DB) allocTableNum() (base.FileNum, error) {
	d.alloc.mu.Lock()
	defer d.alloc.mu.Unlock()
	n, err := d.allocFileNumLocked()
	if err == nil {
		d.alloc.inflight[n] = struct{}{}
	}
	return n, err
}

// releaseTableNums ends the flight of SST numbers: each is recorded in
// the manifest (by an edit that has been applied), or its file is gone.
func (d *DB) releaseTableNums(nums ...base.FileNum) {
	d.alloc.mu.Lock()
	defer d.alloc.mu.Unlock()
	for _, n := range nums {
		delete(d.alloc.inflight, n)
	}
}

// orphanFloor returns the orphan floor to record with an edit: the lowest
// SST number in flight, or the next number to hand out. Every SST number
// below it was recorded or its file is gone, and stays so; a floor read
// before an edit is still true when the edit becomes durable, so edits
// may apply in another order than their floors were read.
func (d *DB) orphanFloor() base.FileNum {
	d.alloc.mu.Lock()
	defer d.alloc.mu.Unlock()
	floor := d.alloc.nextFile
	for n := range d.alloc.inflight {
		floor = min(floor, n)
	}
	return floor
}

// allocFileNumLocked returns the next file number, extending the lease in
// the manifest when it runs out. Requires d.alloc.mu (not d.mu).
func (d *DB) allocFileNumLocked() (base.FileNum, error) {
	n := d.alloc.nextFile
	if n >= d.alloc.fileLease {
		lease := n + base.FileNum(d.opts.FileNumLeaseStep)
		if err := d.manifest.Apply(&manifest.Edit{NextFileNum: lease}); err != nil {
			return 0, err
		}
		d.alloc.fileLease = lease
	}
	d.alloc.nextFile = n + 1
	return n, nil
}

// ensureSeqLease makes sure the manifest's LastSeqNum covers seq.
func (d *DB) ensureSeqLease(seq base.SeqNum) error {
	d.alloc.mu.Lock()
	defer d.alloc.mu.Unlock()
	if seq <= d.alloc.seqLease {
		return nil
	}
	if seq > base.SeqNumMax-base.SeqNum(d.opts.SeqNumLeaseStep) {
		return base.InvalidArgumentf("sequence numbers exhausted")
	}
	lease := seq + base.SeqNum(d.opts.SeqNumLeaseStep)
	if err := d.manifest.Apply(&manifest.Edit{LastSeqNum: lease}); err != nil {
		return err
	}
	d.alloc.seqLease = lease
	return nil
}
