package tempest

import (
	"errors"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
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
// version, and every block checksum of every live SST (which also checks
// each file against its recorded size). It returns every problem found,
// joined; each matches ErrCorruption. Opening the DB already verified the
// manifest and replayed the WAL, whose records are checksummed.
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
			errs = append(errs, d.checkTable(f))
		}
	}
	return errors.Join(errs...)
}

func (d *DB) checkTable(f *manifest.FileMetadata) error {
	t, err := d.tables.get(f)
	if err != nil {
		return err
	}
	defer t.release()
	return t.r.VerifyChecksums()
}
