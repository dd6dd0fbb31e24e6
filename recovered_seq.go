package tempest

import "github.com/tempestdb/tempest/internal/base"

// recoveredVisibleSeq is the seqnum readers see after recovery, given the
// last batch the WALs replayed: the newest recovered one (not the lease),
// so that tokens handed out before the restart still name a state at or
// below it. The manifest's VisibleSeqNum covers committed batches that
// left no entry (an empty batch, a tombstone a compaction dropped).
func (d *DB) recoveredVisibleSeq(replayed base.SeqNum) base.SeqNum {
	newest := max(replayed, d.manifest.VisibleSeqNum())
	for _, f := range d.manifest.Files() {
		newest = max(newest, f.LargestSeq)
	}
	return newest
}
