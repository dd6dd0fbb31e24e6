package tempest

import (
	"errors"

	"github.com/tempestdb/tempest/internal/manifest"
)

// Close closes the DB. It waits for in-flight commits and the running
// flush, closes the WAL with an end record, and records a clean close in
// the manifest. Memtables are not flushed: their WALs are replayed on the
// next Open. Any use of the DB after Close returns ErrClosed, and so does
// a second Close.
func (d *DB) Close() error {
	if !d.closed.CompareAndSwap(false, true) {
		return ErrClosed
	}
	// A leader stalled for room gives up once closing is set.
	d.mu.Lock()
	d.mu.closing = true
	d.mu.cond.Broadcast()
	d.mu.Unlock()

	// Take the commit lock (its holder owns the WAL), keep later writers
	// out, and wait for the writers inserting their batches.
	d.commit.writeMu.Lock()
	d.commit.closed = true
	d.waitDrained()
	d.commit.writeMu.Unlock()
	d.bg.Wait()

	d.mu.Lock()
	bgErr := d.mu.bgErr
	// The DB's references go; the current readState keeps its own, so
	// the arenas are freed when the DB becomes unreachable (or the last
	// iterator closes, whichever is later). Their cache charge goes now:
	// the cache may be shared.
	for _, m := range append(d.mu.imms, d.mu.mem) {
		m.releaseCharge()
		m.unref()
	}
	d.mu.Unlock()

	var errs []error
	edit := &manifest.Edit{CleanClose: true}
	if log := d.commit.log; log != nil {
		d.commit.log = nil
		if bgErr == nil {
			errs = append(errs, log.Close(0))
			edit.ClosedLogs = []manifest.ClosedLog{closedLog(log)}
		} else {
			log.Abandon()
		}
	}
	// The clean-close edit records the last WAL's final size and
	// checksum: after it, every WAL recovery reads is recorded closed.
	if bgErr == nil && errors.Join(errs...) == nil {
		errs = append(errs, d.applyEdit(edit))
	}
	errs = append(errs, d.release())
	return errors.Join(errs...)
}

// release closes the manifest, the tables and the lock.
func (d *DB) release() error {
	var errs []error
	if d.manifest != nil {
		errs = append(errs, d.manifest.Close())
		d.manifest = nil
	}
	errs = append(errs, d.tables.close())
	d.blobs.close()
	if d.lock != nil {
		errs = append(errs, d.lock.Close())
		d.lock = nil
	}
	return errors.Join(errs...)
}

// abandon releases what a failed Open acquired.
func (d *DB) abandon() {
	d.closed.Store(true)
	if d.mu.mem != nil {
		d.mu.mem.unref()
	}
	if d.commit.log != nil {
		d.commit.log.Abandon()
		d.commit.log = nil
	}
	d.release()
}
