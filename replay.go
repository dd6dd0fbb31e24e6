package tempest

import (
	"slices"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
	"github.com/tempestdb/tempest/internal/memtable"
	"github.com/tempestdb/tempest/wal"
)

// logsToReplay lists the WAL files at or above the manifest's
// MinUnflushedLog, in order. The WAL named by MinUnflushedLog must exist:
// the manifest edit naming it was written after the file was created and
// its directory synced, and WAL files are deleted only below it. If it is
// missing, a manifest edit was lost (or files were removed by hand), and
// opening would silently drop data: that is corruption.
func (d *DB) logsToReplay() ([]base.FileNum, error) {
	names, err := d.fs.List(d.dirs.wal)
	if err != nil {
		return nil, err
	}
	minLog := d.manifest.MinUnflushedLog()
	var logs []base.FileNum
	for _, name := range names {
		if num, ok := wal.ParseFileName(name); ok && num >= minLog {
			logs = append(logs, num)
		}
	}
	slices.Sort(logs)
	if minLog != 0 && (len(logs) == 0 || logs[0] != minLog) {
		return nil, base.Corruptionf(d.fs.PathJoin(d.dirs.wal, wal.FileName(minLog)), -1,
			"WAL named by the manifest as the oldest unflushed log is missing")
	}
	return logs, nil
}

// replayer applies WAL records to memtables, flushing each that fills up
// to an L0 SST, or, for a read-only open, keeping it in memory. Its
// memtables are not charged to the block cache (recovery runs before the DB
// serves reads); one sized for a large batch holds that batch alone and is
// flushed (or kept) at once.
type replayer struct {
	d       *DB
	mem     *memTable
	added   []manifest.FileMetadata
	lastSeq base.SeqNum
	// unclean names a WAL that ended without an end record (a crash).
	// Only empty WALs may follow it.
	unclean base.FileNum
	// inMemory keeps each full memtable in kept, oldest first, instead
	// of flushing it.
	inMemory bool
	kept     []*memTable
}

func (r *replayer) replay(logs []base.FileNum) error {
	for _, num := range logs {
		path := r.d.fs.PathJoin(r.d.dirs.wal, wal.FileName(num))
		res, err := wal.Replay(r.d.fs, r.d.dirs.wal, num, func(payload []byte, off int64) error {
			if r.unclean != 0 {
				return base.Corruptionf(path, off, "records follow WAL %s, which ended without an end record", r.unclean)
			}
			return r.apply(path, payload, off)
		})
		if err != nil {
			return err
		}
		if !res.CleanClose && r.unclean == 0 {
			r.unclean = num
		}
	}
	return nil
}

// apply inserts one committed batch. Batches must carry increasing
// seqnums; the record's checksum already passed, so a malformed batch is
// corruption.
func (r *replayer) apply(path string, payload []byte, off int64) error {
	b, err := decodeBatch(payload)
	if err != nil {
		return base.Corruptionf(path, off, "%v", err)
	}
	if b.Seq <= r.lastSeq {
		return base.Corruptionf(path, off, "batch seqnum %d does not follow %d", b.Seq, r.lastSeq)
	}
	var need uint64
	if err := b.forEach(func(e batchEntry) error {
		if e.Kind == base.KindRangeDelete {
			need += uint64(rangeDelMemSize(len(e.Key), len(e.Value)))
		} else {
			need += uint64(memtable.EntrySize(len(e.Key), len(e.Value)))
		}
		return nil
	}); err != nil {
		return base.Corruptionf(path, off, "%v", err)
	}
	if r.mem != nil && !r.mem.fits(need) {
		if err := r.flush(); err != nil {
			return err
		}
	}
	if r.mem == nil {
		// A batch never exceeds half a memtable of the MemTableSize it was
		// written under, which may be larger than today's: then the batch
		// gets a memtable of its own, sized for it, and flushed alone
		// (below). It is never split: its entries share one seqnum, and L0
		// files must hold disjoint seqnum ranges (in two files, the older
		// one could win).
		size, ok := memTableSizeFor(need, r.d.opts.MemTableSize)
		if !ok {
			return base.Corruptionf(path, off, "batch of %d bytes exceeds the largest memtable", need)
		}
		r.mem = r.d.newMemTableOfSize(0, size)
	}
	if err := applyBatch(r.mem, payload); err != nil {
		return base.Corruptionf(path, off, "%v", err)
	}
	r.lastSeq = b.Seq
	if r.mem.Capacity() > uint64(r.d.opts.MemTableSize) {
		return r.flush() // sized for this batch: it holds it alone
	}
	return nil
}

// flush writes the current memtable, if it holds anything, to an L0 SST
// and releases it.
func (r *replayer) flush() error {
	if r.mem == nil {
		return nil
	}
	if r.inMemory && !r.mem.empty() {
		r.kept = append(r.kept, r.mem)
		r.mem = nil
		return nil
	}
	if !r.mem.empty() {
		meta, err := r.d.writeSST(r.mem)
		if err != nil {
			return err
		}
		r.added = append(r.added, *meta)
	}
	r.mem.unref()
	r.mem = nil
	return nil
}

// finish flushes the last memtable and returns the SSTs written.
func (r *replayer) finish() ([]manifest.FileMetadata, error) {
	if err := r.flush(); err != nil {
		return nil, err
	}
	return r.added, nil
}
