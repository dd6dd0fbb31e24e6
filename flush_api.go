package tempest

import "github.com/tempestdb/tempest/internal/base"

// Flush freezes the active memtable, if it holds anything, and waits until
// every frozen memtable is written to an L0 SST and recorded in the
// manifest, and the compactions those flushes call for are scheduled (so
// that Metrics().CompactionsInProgress, read after Flush, counts them).
func (d *DB) Flush() error {
	if err := d.freeze(); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	// The flush loop schedules compactions after it removes a memtable
	// from imms; it clears flushing once it has done so for the last one.
	for (len(d.mu.imms) > 0 || d.mu.flushing) && d.mu.bgErr == nil && !d.mu.closing {
		d.mu.cond.Wait()
	}
	switch {
	case d.mu.bgErr != nil:
		return d.mu.bgErr
	case len(d.mu.imms) > 0:
		return ErrClosed
	}
	return nil
}

// freeze asks the commit leader to rotate the active memtable and WAL,
// which schedules a flush; it does not wait for the flush.
func (d *DB) freeze() error {
	if err := d.writable(); err != nil {
		return err
	}
	r := &commitReq{task: d.rotateIfNotEmpty}
	d.runCommit(r)
	return r.err
}

// freezeAll freezes the active memtable, even an empty one, and returns
// the frozen memtable's lastSeq: every batch acknowledged before the call
// is at or below it, in that memtable or an older source.
func (d *DB) freezeAll() (base.SeqNum, error) {
	if err := d.writable(); err != nil {
		return 0, err
	}
	var seq base.SeqNum
	r := &commitReq{task: func() (err error) {
		seq, err = d.rotateAlways()
		return err
	}}
	d.runCommit(r)
	return seq, r.err
}

// rotateAlways is rotateIfNotEmpty for freezeAll: it rotates even an
// empty memtable, and returns the frozen memtable's lastSeq. Leader only.
func (d *DB) rotateAlways() (base.SeqNum, error) {
	d.mu.Lock()
	bgErr := d.mu.bgErr
	d.mu.Unlock()
	if bgErr != nil {
		return 0, bgErr
	}
	seq := d.commit.lastSeq
	if err := d.rotateMemTable(); err != nil {
		return 0, d.setBackgroundError(err)
	}
	return seq, nil
}

// rotateIfNotEmpty freezes the active memtable unless it is empty, and
// makes sure a flush is scheduled. Leader only.
func (d *DB) rotateIfNotEmpty() error {
	d.mu.Lock()
	empty, bgErr := d.mu.mem.empty(), d.mu.bgErr
	d.mu.Unlock()
	if bgErr != nil {
		return bgErr
	}
	if !empty {
		if err := d.rotateMemTable(); err != nil {
			return d.setBackgroundError(err)
		}
	}
	d.maybeScheduleFlush()
	return nil
}
