package tempest

import (
	"errors"
	"fmt"
	"os"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
	"github.com/tempestdb/tempest/sstable"
	"github.com/tempestdb/tempest/vfs"
)

// Ingest adds the SSTs at paths to the database, all or nothing, at one
// new sequence number, newer than everything the database holds, and
// returns its token: a read at the token or later sees the files' entries
// (and their tombstones delete older versions); an older snapshot never
// does.
//
// The files are written with sstable.Writer's Set, Delete and
// DeleteRange (every seqnum 0; Export writes such files). Each is
// validated before anything changes: it opens with the database's
// Comparer (same name), its checksums and key order verify, it holds
// something, each user key once, and no two files overlap. A file that
// fails leaves the database unchanged, with an error matching
// ErrInvalidArgument or ErrCorruption.
//
// The files are hard-linked into the database (copied where links are
// not possible) and never rewritten or modified: the manifest records
// the sequence number each is read at (its global seqnum), which reads
// and compactions apply. How (docs/design.md, "Ingestion"): the
// memtables are flushed, then, as the commit pipeline's leader (no batch
// commits meanwhile), each file is placed at the deepest level where
// nothing above overlaps it, and one manifest edit adds them all.
//
// Ingest needs FormatVersion3 (ErrInvalidArgument below it: ratchet with
// RatchetFormatVersion). A read-only DB refuses with ErrReadOnly.
func (d *DB) Ingest(paths []string) (WriteToken, error) {
	return d.ingest(paths, nil)
}

// IngestAndReplace deletes every key in [lower, upper) and ingests the
// files at paths, which must lie within it, in one step at one sequence
// number: a read sees the old contents of the range or exactly the
// files', never a mix. Ingest's rules apply. The deletion is a range
// tombstone at the files' seqnum, held in an SST of its own added with
// them: a tombstone deletes only older seqnums, so it deletes what the
// range held and none of the files' entries.
func (d *DB) IngestAndReplace(paths []string, lower, upper []byte) (WriteToken, error) {
	if d.cmp.Compare(lower, upper) >= 0 {
		return WriteToken{}, base.InvalidArgumentf("tempest: ingest and replace: empty range [%s, %s)",
			d.cmp.Format(lower), d.cmp.Format(upper))
	}
	return d.ingest(paths, &keySpan{lower: lower, upper: upper})
}

// ingest runs Ingest, and for IngestAndReplace (replace not nil) deletes
// the range.
func (d *DB) ingest(paths []string, replace *keySpan) (WriteToken, error) {
	if err := d.writable(); err != nil {
		return WriteToken{}, err
	}
	if !d.formatRules().ingest {
		return WriteToken{}, base.InvalidArgumentf("tempest: ingest needs format version %d, the database is at "+
			"version %d: ratchet it first (DB.RatchetFormatVersion, tempest db upgrade)", FormatVersion3, d.FormatVersion())
	}
	files, err := d.validateIngestFiles(paths, replace)
	if err != nil {
		return WriteToken{}, err
	}
	all := files
	var tomb *ingestFile
	if replace != nil {
		if tomb, err = d.writeTombstoneFile(replace); err != nil {
			return WriteToken{}, err
		}
		all = append(all[:len(all):len(all)], tomb)
	}
	if err := d.linkIngestFiles(files); err != nil {
		d.abandonIngestFiles(all)
		return WriteToken{}, err
	}
	var seq base.SeqNum
	inDoubt := false
	r := &commitReq{task: func() (err error) {
		seq, inDoubt, err = d.installIngest(files, tomb)
		return err
	}}
	d.runCommit(r)
	if r.err != nil {
		// After a failed manifest append the edit may still be durable:
		// the files stay in flight, for the next Open to judge (the DB is
		// read-only by then).
		if !inDoubt {
			d.abandonIngestFiles(all)
		}
		return WriteToken{}, r.err
	}
	return WriteToken{seq: seq}, nil
}

// linkIngestFiles links (or copies) each external file into the sst
// directory under a new number, syncs it (a linked file may not have
// been), then syncs the directory. The numbers stay in flight until the
// edit that records them is applied, so a crash leaves orphans Open
// deletes.
func (d *DB) linkIngestFiles(files []*ingestFile) error {
	for _, f := range files {
		num, err := d.allocTableNum()
		if err != nil {
			return err
		}
		f.num = num
		if _, err := vfs.LinkOrCopy(d.fs, f.path, d.sstPath(num)); err != nil {
			return err
		}
		if err := syncFile(d.fs, d.sstPath(num)); err != nil {
			return err
		}
	}
	return vfs.SyncDir(d.fs, d.dirs.sst)
}

// syncFile fsyncs the file name, writing nothing to it. It opens the
// file for writing, which some systems need to sync it (Windows), and for
// reading if it may not be written (a read-only input linked in), which
// is enough elsewhere.
func syncFile(fs vfs.FS, name string) error {
	f, err := fs.OpenForAppend(name)
	if errors.Is(err, os.ErrPermission) {
		f, err = fs.Open(name)
	}
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeTombstoneFile writes an SST holding one range tombstone over s, at
// seqnum 0, under a new number in flight, synced.
func (d *DB) writeTombstoneFile(s *keySpan) (*ingestFile, error) {
	num, err := d.allocTableNum()
	if err != nil {
		return nil, err
	}
	f, err := d.fs.Create(d.sstPath(num))
	if err != nil {
		d.removeAbandonedTables([]base.FileNum{num})
		return nil, err
	}
	w := sstable.NewWriter(f, d.writerOptions(0, num, 0))
	if err := w.DeleteRange(s.lower, s.upper); err != nil {
		w.Abort()
		d.removeAbandonedTables([]base.FileNum{num})
		return nil, err
	}
	m, err := w.Finish()
	if err != nil {
		d.removeAbandonedTables([]base.FileNum{num})
		return nil, err
	}
	props := sstable.Properties{
		RangeDelCount: m.RangeDelCount,
		Smallest:      m.Smallest, Largest: m.Largest,
	}
	return &ingestFile{props: props, size: m.Size, checksum: m.Checksum, num: num}, nil
}

// abandonIngestFiles removes the files of an ingestion that failed
// before its edit (removeAbandonedTables ends the flight of their
// numbers).
func (d *DB) abandonIngestFiles(files []*ingestFile) {
	var nums []base.FileNum
	for _, f := range files {
		if f.num != 0 {
			nums = append(nums, f.num)
		}
	}
	d.removeAbandonedTables(nums)
}

// installIngest is the commit task of an ingestion: it flushes the
// memtables, takes the next seqnum, places the files and applies the
// edit that adds them at it, then makes it visible. inDoubt reports a
// failed manifest append, after which the edit may be durable. Leader
// only.
//
// Why flush every memtable, not only those overlapping the files: the
// version then holds every batch up to the new seqnum and none above it,
// which flushedSeq promises (Checkpoint copies the version alone), and
// a memtable flushed later holds only newer seqnums, so L0's seqnum
// ranges stay disjoint.
func (d *DB) installIngest(files []*ingestFile, tomb *ingestFile) (_ base.SeqNum, inDoubt bool, _ error) {
	if err := d.flushForIngest(); err != nil {
		return 0, false, err
	}
	seq := d.commit.lastSeq + 1
	if err := d.ensureSeqLease(seq); err != nil {
		return 0, false, d.setBackgroundError(err)
	}
	d.mu.Lock()
	d.mu.ingesting = true
	d.placeIngestLocked(files, tomb)
	d.mu.Unlock()

	edit := &manifest.Edit{VisibleSeqNum: seq}
	for _, f := range files {
		edit.Added = append(edit.Added, f.metadata(seq))
	}
	if tomb != nil {
		edit.Added = append(edit.Added, tomb.metadata(seq))
	}
	err := d.applyEdit(edit)
	if err == nil {
		// Before seq is visible, so that no transaction whose snapshot
		// misses the files commits a read of their ranges (the tracker's
		// lock comes before d.mu).
		for _, f := range append(files[:len(files):len(files)], tomb) {
			if f != nil {
				upper, _ := f.upper() // taken inclusive: conservative
				d.txns.recordRangeWrite(seq, f.lower(), upper)
			}
		}
	}

	d.mu.Lock()
	d.mu.ingesting = false
	if err != nil {
		err = d.setBackgroundErrorLocked(err)
		d.mu.cond.Broadcast()
		d.mu.Unlock()
		return 0, true, fmt.Errorf("tempest: ingest: %w", err)
	}
	d.mu.flushedSeq = seq // the memtables are empty: the version holds every batch
	old := d.updateReadStateLocked()
	d.commit.lastSeq = seq
	d.visibleSeq.Store(uint64(seq))
	d.mu.cond.Broadcast()
	d.mu.Unlock()
	old.unref()
	d.releaseTableNums(addedNums(edit)...)
	d.opts.Logger.Info("tempest: ingested", "files", len(edit.Added), "seq", uint64(seq))
	// The edit must not stay the newest record of the manifest: a torn
	// tail drops the newest record, and nothing else would show this
	// one missing (the WALs do not hold the ingest). The rotation's
	// record of the closed WAL follows it, and the batches after the
	// ingest go to a WAL that follows it: without that record, recovery
	// refuses them (rows W2-W5 of the recovery table).
	// If the rotation fails, the ingest still happened: the DB turns
	// read-only (background error) and the token stands.
	if err := d.rotateMemTable(d.opts.MemTableSize); err != nil {
		_ = d.setBackgroundError(err)
	}
	d.maybeScheduleCompaction()
	return seq, false, nil
}

// flushForIngest freezes the active memtable if it holds anything and
// waits until no frozen memtable is left. Leader only.
func (d *DB) flushForIngest() error {
	if err := d.rotateIfNotEmpty(); err != nil {
		return err
	}
	return d.waitFlushed(false)
}

// metadata returns the manifest's record of f, ingested at seq.
func (f *ingestFile) metadata(seq base.SeqNum) manifest.FileMetadata {
	p := f.props.AtGlobalSeq(seq)
	return manifest.FileMetadata{
		FileNum:       f.num,
		Level:         f.level,
		Size:          f.size,
		Checksum:      f.checksum,
		Smallest:      p.Smallest.Clone(),
		Largest:       p.Largest.Clone(),
		SmallestSeq:   seq,
		LargestSeq:    seq,
		EntryCount:    p.EntryCount,
		DeletionCount: p.DeletionCount,
		RangeDelCount: p.RangeDelCount,
		GlobalSeq:     seq,
	}
}
