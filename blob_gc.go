package tempest

import (
	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/compact"
	"github.com/tempestdb/tempest/internal/manifest"
)

// Blob garbage collection. A blob file's live bytes are the bytes of its
// values that live SSTs name (the manifest's blob references); values
// overwritten or deleted stop being named as compactions drop their
// entries. Once a blob file's live fraction (live bytes over the bytes
// written to it) is below Options.BlobGCThreshold:
//
//   - every compaction that meets one of its handles copies the value to
//     the compaction's own new blob file (blobOutput.add);
//   - when no compaction is due, a blob-rewrite compaction rewrites, in
//     place, an SST of L1 or deeper that names it (pickBlobRewrite), so
//     that the space comes back with no call, also on an idle database
//     (each compaction's end schedules the next).
//
// A blob file no live SST names is removed from the manifest by the edit
// that drops its last reference (applyEdit), and deleted once no read
// state names it (fileRefs): a snapshot or iterator that still reads an
// SST naming it keeps the file.

// blobRewriteSet returns the blob files whose live fraction is below
// BlobGCThreshold, nil if none or if rewriting is off.
func (d *DB) blobRewriteSet() map[base.FileNum]bool {
	t := d.opts.BlobGCThreshold
	if t <= 0 || !d.formatRules().blobs {
		return nil
	}
	files := d.manifest.BlobFiles()
	if len(files) == 0 {
		return nil
	}
	live := d.manifest.BlobLiveBytes()
	var out map[base.FileNum]bool
	for _, b := range files {
		if b.ValueBytes > 0 && float64(live[b.FileNum]) < t*float64(b.ValueBytes) {
			if out == nil {
				out = make(map[base.FileNum]bool)
			}
			out[b.FileNum] = true
		}
	}
	return out
}

// pickBlobRewriteLocked returns a blob-rewrite compaction of an SST naming a
// blob file due for rewriting, or nil. Called with d.mu held.
func (d *DB) pickBlobRewriteLocked(v *manifest.Version) *compact.Compaction {
	due := d.blobRewriteSet()
	if len(due) == 0 {
		return nil
	}
	return d.picker.PickBlobRewrite(v, d.mu.compactions, func(f *manifest.FileMetadata) bool {
		for _, r := range f.BlobRefs {
			if due[r.FileNum] {
				return true
			}
		}
		return false
	})
}

// blobMetrics reports the live blob files.
func (d *DB) blobMetrics() BlobMetrics {
	m := BlobMetrics{ObsoleteDeleted: d.counters.blobFilesDeleted.Load()}
	live := d.manifest.BlobLiveBytes()
	for _, b := range d.manifest.BlobFiles() {
		m.Files++
		m.Bytes += b.Size
		m.ValueBytes += b.ValueBytes
		m.LiveBytes += live[b.FileNum]
	}
	return m
}
