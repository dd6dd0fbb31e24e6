package tempest

import (
	"fmt"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/blob"
	"github.com/tempestdb/tempest/internal/manifest"
	"github.com/tempestdb/tempest/sstable"
)

// checkTableBlobs verifies the blob handles of SST f: every one names a
// blob file f's references (manifest) name, the value it names reads
// back (the block's checksum and length), and the bytes per blob file add
// up to the references. Errors match ErrCorruption and name the SST or
// the blob file.
func (d *DB) checkTableBlobs(f *manifest.FileMetadata) error {
	t, err := d.tables.get(f)
	if err != nil {
		return err
	}
	defer t.release()
	want := make(map[base.FileNum]uint64, len(f.BlobRefs))
	for _, r := range f.BlobRefs {
		want[r.FileNum] = r.Bytes
	}
	got := make(map[base.FileNum]uint64)
	var it sstable.Iter
	t.r.InitIter(&it)
	defer it.Close()
	var buf []byte
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		if k.Kind() != base.KindBlobValue {
			continue
		}
		h, err := blob.DecodeHandle(it.Value(), d.sstPath(f.FileNum))
		if err != nil {
			return err
		}
		if _, ok := want[h.FileNum]; !ok {
			return base.Corruptionf(d.sstPath(f.FileNum), -1,
				"entry %s names blob file %s, which the manifest does not record for the SST", k.Pretty(d.cmp), h.FileNum)
		}
		if buf, err = d.blobs.read(it.Value(), buf[:0]); err != nil {
			return err
		}
		got[h.FileNum] += h.ValueLen
	}
	if err := it.Error(); err != nil {
		return err
	}
	for n, b := range want {
		if got[n] != b {
			return base.Corruptionf(d.sstPath(f.FileNum), -1,
				"names %d bytes of blob file %s, the manifest records %d", got[n], n, b)
		}
	}
	return nil
}

// checkBlobFiles verifies that every blob file the version's SSTs name
// opens (present, its footer, and its size where the manifest still
// records it). The version may be older than the manifest, which may
// have removed a blob file since: the read state keeps such a file, and
// the manifest's own checks keep its live SSTs naming only live blob
// files.
func (d *DB) checkBlobFiles(v *manifest.Version) []error {
	seen := make(map[base.FileNum]bool)
	var errs []error
	for _, files := range v.Levels {
		for _, f := range files {
			for _, r := range f.BlobRefs {
				if seen[r.FileNum] {
					continue
				}
				seen[r.FileNum] = true
				b, err := d.blobs.get(r.FileNum)
				if err != nil {
					errs = append(errs, fmt.Errorf("blob file %s: %w", r.FileNum, err))
					continue
				}
				b.release()
			}
		}
	}
	return errs
}
