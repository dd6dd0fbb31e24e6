package tempest

import (
	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
)

// applyEdit makes e durable in the manifest, shaped by the database's
// format version (formatRules.fit) and stamped with what every edit of
// the engine carries for recovery under FormatVersion2: the orphan floor
// (see orphanFloor) and the deletions not yet recorded (see
// deleteObsolete). Flushes, compactions, rotations, recovery and Close
// write their edits through it; the lease edits of leases.go need neither
// and go directly.
func (d *DB) applyEdit(e *manifest.Edit) error {
	d.format.mu.Lock()
	defer d.format.mu.Unlock()
	d.formatRules().fit(e, d.manifest, d.orphanFloor(), d.takeDeletions())
	// A blob file no SST names after e is removed by e: serialized with
	// every other edit here, no other edit can add a reference between
	// the check and the apply.
	for _, n := range d.manifest.UnreferencedBlobs(e) {
		e.RemovedBlobs = append(e.RemovedBlobs, n)
		e.Obsolete = append(e.Obsolete, manifest.ObsoleteFile{Kind: manifest.KindBlob, FileNum: n})
	}
	if err := d.manifest.Apply(e); err != nil {
		d.queueDeletions(e.Deleted) // the next edit records them
		return err
	}
	d.files.markObsolete(manifest.KindBlob, e.RemovedBlobs)
	return nil
}

// takeDeletions returns and forgets the deletions awaiting a record.
func (d *DB) takeDeletions() []base.FileNum {
	d.deletions.Lock()
	defer d.deletions.Unlock()
	nums := d.deletions.nums
	d.deletions.nums = nil
	return nums
}

// queueDeletions adds deletions for the next edit to record.
func (d *DB) queueDeletions(nums []base.FileNum) {
	if len(nums) == 0 {
		return
	}
	d.deletions.Lock()
	defer d.deletions.Unlock()
	d.deletions.nums = append(d.deletions.nums, nums...)
}
