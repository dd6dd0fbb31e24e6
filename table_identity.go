package tempest

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
	"github.com/tempestdb/tempest/sstable"
)

// checkTableIdentity compares what the table r, just opened from the file
// name, says about itself (its properties) with what the manifest records
// of the file it should be, meta. It returns r if they agree; otherwise it
// closes r and returns an error matching ErrCorruption that names the file
// and every field that differs. An SST swapped for another, or an older
// copy of it, is caught here on first use, before any read trusts it.
//
// Compared: the file number (format version 4 and later record it), the
// smallest and largest keys (trailers included), the seqnum range, and
// the entry, deletion and range deletion counts where the manifest knows
// them (see knownStats). The whole-file checksum needs the whole file
// read; DB.Check compares it.
func checkTableIdentity(r *sstable.Reader, meta *manifest.FileMetadata, name string, cmp *base.Comparer) (*sstable.Reader, error) {
	diffs := tableDiffs(r.Properties(), meta, cmp)
	if len(diffs) == 0 {
		return r, nil
	}
	r.Close()
	return nil, base.Corruptionf(name, -1, "table differs from the manifest's record of file %s: %s",
		meta.FileNum, strings.Join(diffs, "; "))
}

// tableDiffs lists the fields in which p differs from meta.
func tableDiffs(p sstable.Properties, meta *manifest.FileMetadata, cmp *base.Comparer) []string {
	var diffs []string
	differ := func(field string, table, recorded any) {
		diffs = append(diffs, fmt.Sprintf("%s %v, manifest %v", field, table, recorded))
	}
	// An ingested file names the number it was written with, if any.
	if p.FormatVersion >= 4 && p.FileNum != meta.FileNum && meta.GlobalSeq == 0 {
		differ("file number", p.FileNum, meta.FileNum)
	}
	if !sameInternalKey(p.Smallest, meta.Smallest) {
		differ("smallest key", p.Smallest.Pretty(cmp), meta.Smallest.Pretty(cmp))
	}
	if !sameInternalKey(p.Largest, meta.Largest) {
		differ("largest key", p.Largest.Pretty(cmp), meta.Largest.Pretty(cmp))
	}
	if p.SmallestSeq != meta.SmallestSeq || p.LargestSeq != meta.LargestSeq {
		differ("seqnums", fmt.Sprintf("[%d, %d]", p.SmallestSeq, p.LargestSeq),
			fmt.Sprintf("[%d, %d]", meta.SmallestSeq, meta.LargestSeq))
	}
	entries, rangeDels := knownStats(meta)
	if entries && (p.EntryCount != meta.EntryCount || p.DeletionCount != meta.DeletionCount) {
		differ("entries/deletions", fmt.Sprintf("%d/%d", p.EntryCount, p.DeletionCount),
			fmt.Sprintf("%d/%d", meta.EntryCount, meta.DeletionCount))
	}
	if rangeDels && p.RangeDelCount != meta.RangeDelCount {
		differ("range deletions", p.RangeDelCount, meta.RangeDelCount)
	}
	return diffs
}

// knownStats reports which of meta's counts were recorded. All are zero
// when the manifest has no statistics for the file, and the range
// deletion count is zero when the statistics predate it, so a zero count
// is known only when another count is not zero.
func knownStats(meta *manifest.FileMetadata) (entries, rangeDels bool) {
	return meta.EntryCount != 0 || meta.RangeDelCount != 0, meta.RangeDelCount != 0
}

// sameInternalKey reports whether a and b are the same key: the same user
// key bytes and the same trailer.
func sameInternalKey(a, b base.InternalKey) bool {
	return a.Trailer == b.Trailer && bytes.Equal(a.UserKey, b.UserKey)
}
