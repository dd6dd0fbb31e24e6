package tempest

import (
	"errors"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
	"github.com/tempestdb/tempest/sstable"
)

// FileInfo describes one live SST file.
type FileInfo struct {
	Level    int
	FileNum  uint64
	Size     uint64
	Smallest []byte // user keys
	Largest  []byte
	MinSeq   uint64
	MaxSeq   uint64
}

// LSM returns the live SST files, level by level (L0 newest first, other
// levels in key order).
func (d *DB) LSM() ([NumLevels][]FileInfo, error) {
	var out [NumLevels][]FileInfo
	if d.closed.Load() {
		return out, ErrClosed
	}
	rs := d.loadReadState()
	defer rs.unref()
	v := rs.version
	for level, files := range v.Levels {
		for _, f := range files {
			out[level] = append(out[level], FileInfo{
				Level: level, FileNum: uint64(f.FileNum), Size: f.Size,
				Smallest: f.Smallest.UserKey, Largest: f.Largest.UserKey,
				MinSeq: uint64(f.SmallestSeq), MaxSeq: uint64(f.LargestSeq),
			})
		}
	}
	return out, nil
}

// Check verifies the whole database: the level invariants of the current
// version, and every live SST: its size and what it says about itself
// against the manifest (checkTableIdentity), every block checksum, and
// the checksum of the whole file against the one the manifest recorded.
// It returns every problem found, joined; each matches ErrCorruption and
// names the file. Blob files are checked too: each one the SSTs name is
// live and whole (footer, size), and every handle of every SST resolves
// to a value whose block checksum holds (check_blobs.go). Opening the DB
// already verified the manifest and
// replayed the WAL, whose records are checksummed.
//
// An SST written before whole-file checksums were recorded (see
// checksumRecorded) is checked block by block only, and Check logs it.
func (d *DB) Check() error {
	if d.closed.Load() {
		return ErrClosed
	}
	rs := d.loadReadState()
	defer rs.unref()
	v := rs.version
	var errs []error
	if err := v.CheckInvariants(d.cmp); err != nil {
		errs = append(errs, base.Corruptionf(d.dirs.manifest, -1, "level invariants: %v", err))
	}
	for _, files := range v.Levels {
		for _, f := range files {
			err := d.checkTable(f)
			if err == nil && len(f.BlobRefs) > 0 {
				err = d.checkTableBlobs(f)
			}
			errs = append(errs, err)
		}
	}
	errs = append(errs, d.checkBlobFiles(v)...)
	return errors.Join(errs...)
}

func (d *DB) checkTable(f *manifest.FileMetadata) error {
	t, err := d.tables.get(f)
	if err != nil {
		return err
	}
	defer t.release()
	r := t.r
	if err := r.VerifyChecksums(); err != nil {
		return err
	}
	if !checksumRecorded(f, r.Properties()) {
		d.opts.Logger.Info("tempest: SST has no recorded whole-file checksum: checked block by block",
			"file", d.sstPath(f.FileNum))
		return nil
	}
	sum, err := r.FileChecksum()
	if err != nil {
		return err
	}
	if sum != f.Checksum {
		return base.Corruptionf(d.sstPath(f.FileNum), -1,
			"whole-file checksum %#016x differs from %#016x recorded in the manifest", sum, f.Checksum)
	}
	return nil
}

// checksumRecorded reports whether meta.Checksum is the whole-file
// checksum of the table whose properties are p. Versions that wrote SST
// format 3 and older recorded a checksum that is zero for every table, so
// a zero there means "not recorded"; a table of format 4 or later was
// written by a version that records it, so its value, zero included, is
// always compared. A nonzero checksum is compared whatever the table's
// version: an older table put in place of a newer one must not pass
// unchecked.
func checksumRecorded(meta *manifest.FileMetadata, p sstable.Properties) bool {
	return meta.Checksum != 0 || p.FormatVersion >= 4
}
