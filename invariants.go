package tempest

import (
	"errors"
	"fmt"
	"os"

	"github.com/tempestdb/tempest/internal/invariants"
	"github.com/tempestdb/tempest/internal/manifest"
)

// checkVersion verifies the invariants of a version about to be
// installed (see package internal/invariants). Only builds with the
// invariants tag call it; a violation is a bug, so it panics.
func (d *DB) checkVersion(v *manifest.Version) {
	if !invariants.Enabled {
		return
	}
	if err := d.versionInvariants(v); err != nil {
		panic(fmt.Sprintf("tempest: invariant violated: %v\n%s", err, v))
	}
}

// versionInvariants checks the level invariants, the seqnum order of L0,
// and that every file exists with its recorded size.
func (d *DB) versionInvariants(v *manifest.Version) error {
	if err := v.CheckInvariants(d.cmp); err != nil {
		return err
	}
	// L0 files (newest first) hold disjoint seqnum ranges: flushes write
	// successive ranges and intra-L0 compactions merge a contiguous run.
	l0 := v.Levels[0]
	for i := 1; i < len(l0); i++ {
		if l0[i].LargestSeq >= l0[i-1].SmallestSeq {
			return fmt.Errorf("L0 files %s and %s have overlapping seqnum ranges", l0[i-1].FileNum, l0[i].FileNum)
		}
	}
	for _, files := range v.Levels {
		for _, f := range files {
			info, err := d.fs.Stat(d.sstPath(f.FileNum))
			if errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("file %s of the manifest: %w", f.FileNum, err)
			}
			if err != nil {
				continue // an I/O error proves nothing about the invariant
			}
			if uint64(info.Size()) != f.Size {
				return fmt.Errorf("file %s is %d bytes, the manifest says %d", f.FileNum, info.Size(), f.Size)
			}
		}
	}
	return nil
}
