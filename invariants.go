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
	// The one exception: files of one ingestion all hold its seqnum alone.
	l0 := v.Levels[0]
	for i := 1; i < len(l0); i++ {
		if l0[i].LargestSeq >= l0[i-1].SmallestSeq && !sameIngestion(l0[i], l0[i-1]) {
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
			for _, r := range f.BlobRefs {
				if _, err := d.fs.Stat(d.blobPath(r.FileNum)); errors.Is(err, os.ErrNotExist) {
					return fmt.Errorf("blob file %s, named by SST %s: %w", r.FileNum, f.FileNum, err)
				}
			}
		}
	}
	return nil
}

// sameIngestion reports whether a and b hold one seqnum, the same: files
// of one ingestion in L0 (or their merge). Their entries never shadow
// each other (validation keeps their point keys apart, and a range
// tombstone deletes only older seqnums), so their order in L0 does not
// matter.
func sameIngestion(a, b *manifest.FileMetadata) bool {
	return a.SmallestSeq == a.LargestSeq && b.SmallestSeq == b.LargestSeq && a.LargestSeq == b.LargestSeq
}
