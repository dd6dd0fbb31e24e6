package tempest

import (
	"github.com/tempestdb/tempest/internal/compact"
	"github.com/tempestdb/tempest/internal/manifest"
	"github.com/tempestdb/tempest/sstable"
)

// Delete-only compactions remove files that a newer range tombstone
// deletes wholesale, with a manifest edit and no rewrite (see the package
// doc of internal/compact, "Delete-only compaction hints"). The hints are
// the range tombstones of the live files, read through the table cache
// whenever the engine looks for a compaction (after each flush and
// compaction, and at Open); they are not persisted. The picker decides
// under d.mu, with the open snapshots, and the compaction runs through
// runCompaction like any other: its edit only removes files, and the
// removed files are deleted once no readState uses them (file_refs.go).

// deleteHints returns the range tombstones of the files of the current
// version, each naming its file. Called without d.mu: opening a table does
// I/O. A table that cannot be opened ends the list early: fewer hints
// mean fewer delete-only compactions, and a read of that table reports
// the error.
func (d *DB) deleteHints() []compact.DeleteHint {
	rs := d.loadReadState()
	defer rs.unref() // keeps the files on disk while their tables are read
	var hints []compact.DeleteHint
	_ = d.tableRangeDels(rs.version, func(f *manifest.FileMetadata, t sstable.RangeDel) {
		hints = append(hints, compact.DeleteHint{Start: t.Start, End: t.End, Seq: t.Seq, File: f.FileNum})
	})
	return hints
}

// runDeleteOnlyLocked runs, one after another, the delete-only
// compactions the hints allow, for DB.Compact. d.mu is held on entry and
// exit and released while each runs.
func (d *DB) runDeleteOnlyLocked(hints []compact.DeleteHint) {
	for d.mu.bgErr == nil && !d.mu.closing {
		c := d.picker.PickDeleteOnly(d.mu.readState.version, d.mu.compactions, hints, d.snapshotSeqsLocked())
		if c == nil {
			return
		}
		d.startCompactionLocked(c)
		d.mu.Unlock()
		d.runCompaction(c)
		d.bg.Done()
		d.mu.Lock()
	}
}
