package tempest

import (
	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/compact"
)

// pickLocked returns the next automatic compaction: a delete-only one if
// the hints allow one (it is cheap and frees space), else, if rewrite,
// PickAt's choice.
func (d *DB) pickLocked(hints []compact.DeleteHint, rewrite bool) *compact.Compaction {
	v := d.mu.readState.version
	if c := d.picker.PickDeleteOnly(v, d.mu.compactions, hints, d.snapshotSeqsLocked()); c != nil {
		return c
	}
	if !rewrite {
		return nil
	}
	oldest := base.SeqNumMax
	if s, ok := d.mu.snapshots.earliestLocked(); ok {
		oldest = s
	}
	// The picker must know the oldest snapshot: a file whose tombstones
	// a snapshot still needs would come out of a rewrite unchanged.
	if c := d.picker.PickAt(v, d.mu.compactions, oldest); c != nil {
		return c
	}
	if c := d.pickReadLocked(v); c != nil {
		return c
	}
	return d.pickBlobRewriteLocked(v)
}
