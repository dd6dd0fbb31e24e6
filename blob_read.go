package tempest

import (
	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/blob"
	"github.com/tempestdb/tempest/internal/manifest"
)

// Reads follow blob handles. An entry of kind base.KindBlobValue is a
// value whose bytes are in a blob file; its SST value is the handle.
// Every reader of values resolves it: Get, the Iterator (eagerly, or on
// demand under IterOptions.KeysOnly), the folds of merge operands over
// it (reads and compactions). A failing blob read is an error of the
// read, never an empty value.
//
// Values that iterators read twice are kept in the block cache
// (blob_cache.go): a read that misses reads the block with one positional
// read, verifies its CRC-64 and decodes it, into the caller's buffer on a
// first miss, into a buffer of the cache's on a second (admit); later
// reads, until the cache evicts it or its file becomes obsolete, read no
// file. Get finds cached values and copies them out, but adds none. An
// Iterator hands out the cached bytes, held until its next positioning
// call. A damaged block is never cached. Compactions, blob rewriting and
// Check read around the cache.
//
// A VisibilityFilter is shown, for a separated value, only the first
// blob.PrefixLen (8) bytes of the value, which the handle carries: the
// filter runs on every entry a compaction reads, and a blob read for
// each would cost what separation saves. Reads show the filter the same
// bytes, so reads and compactions agree. TTLFilter's default timestamp is
// the first 8 bytes.

// filterValue returns what a VisibilityFilter is shown of the value v of
// an entry of kind: v itself, or a separated value's prefix.
func filterValue(kind base.Kind, v []byte) []byte {
	if kind != base.KindBlobValue {
		return v
	}
	h, err := blob.DecodeHandle(v, "blob handle")
	if err != nil {
		return nil // the read of the value reports the corruption
	}
	return h.Prefix
}

// valueLen returns the length of the value of an entry of kind with SST
// value v, without reading a blob file.
func valueLen(kind base.Kind, v []byte) int {
	if kind != base.KindBlobValue {
		return len(v)
	}
	h, err := blob.DecodeHandle(v, "blob handle")
	if err != nil {
		return 0
	}
	return int(h.ValueLen)
}

// resolveValue returns the value of an entry of kind with SST value v,
// appending a separated one to dst.
func (d *DB) resolveValue(kind base.Kind, v, dst []byte) ([]byte, error) {
	if kind != base.KindBlobValue {
		return v, nil
	}
	return d.blobs.readCached(v, dst)
}

// blobFileMeta returns the record of blob file num: the manifest's, or,
// for a file a read state still names after the manifest removed it, one
// read from its footer.
func (d *DB) blobFileMeta(num base.FileNum) (manifest.BlobFile, error) {
	if b, ok := d.manifest.BlobFile(num); ok {
		return b, nil
	}
	cb, err := d.blobs.get(num)
	if err != nil {
		return manifest.BlobFile{}, err
	}
	defer cb.release()
	return manifest.BlobFile{FileNum: num, Size: cb.r.Size(), ValueBytes: cb.r.Footer().ValueBytes}, nil
}
