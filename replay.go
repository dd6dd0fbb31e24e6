package tempest

import (
	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
	"github.com/tempestdb/tempest/internal/memtable"
	"github.com/tempestdb/tempest/wal"
)

// replayer applies WAL records to memtables, flushing each that fills up
// to an L0 SST, or, for a read-only open, keeping it in memory. It
// applies the WAL rows of the recovery table (docs/design.md) that need a
// WAL's contents. Its memtables are not charged to the block cache
// (recovery runs before the DB serves reads); one sized for a large batch
// holds that batch alone and is flushed (or kept) at once.
type replayer struct {
	d       *DB
	mem     *memTable
	added   []manifest.FileMetadata
	lastSeq base.SeqNum
	// horizon is the largest seqnum of a flushed entry that combined
	// merge operands (writeSST), for the manifest.
	horizon base.SeqNum
	// addedBlobs are the blob files the flushes wrote.
	addedBlobs []manifest.BlobFile
	// inMemory keeps each full memtable in kept, oldest first, instead
	// of flushing it.
	inMemory bool
	kept     []*memTable
	// seqLease is the manifest's LastSeqNum; seqFloor the newest seqnum
	// the manifest knows flushed (0 for a manifest of an older version).
	seqLease, seqFloor base.SeqNum
	// prevSeq is the seqnum of the last batch replayed, 0 before the
	// first.
	prevSeq base.SeqNum
	// tracked: the manifest is not of an older version (row M9).
	tracked bool
	// prev is the WAL replayed last, and how it ended.
	prev    base.FileNum
	prevRes wal.ReplayResult
	// replayed lists the WALs replayed, in order.
	replayed []base.FileNum
}

func newReplayer(d *DB) *replayer {
	r := &replayer{d: d, seqLease: d.manifest.LastSeqNum(), tracked: d.manifest.Tracked()}
	if r.tracked {
		r.seqFloor = d.recoveredVisibleSeq(0)
	}
	return r
}

func (r *replayer) replay(logs []base.FileNum) error {
	for _, num := range logs {
		if err := r.replayLog(num); err != nil {
			return err
		}
	}
	return r.checkNamedNext(0)
}

// replayLog replays WAL num and judges how it ends.
func (r *replayer) replayLog(num base.FileNum) error {
	path := r.d.fs.PathJoin(r.d.dirs.wal, wal.FileName(num))
	if err := r.checkNamedNext(num); err != nil {
		return err
	}
	res, err := wal.Replay(r.d.fs, r.d.dirs.wal, num, func(payload []byte, off int64) error {
		if err := r.checkFollows(path, num, off); err != nil {
			return err
		}
		if err := r.checkSeq(path, payload, off); err != nil {
			return err
		}
		return r.apply(path, payload, off)
	})
	if err != nil {
		return err // W8: damage the file itself shows
	}
	if err := r.checkHeader(path, num, res); err != nil {
		return err
	}
	// W2, W4: a recorded WAL is exactly the file that was closed. W5: after
	// a clean close, a WAL holding records ends with its end record.
	if err := r.d.manifest.LogExpect(num).Check(path, res); err != nil {
		return err
	}
	if err := r.checkUnrecorded(path, num, res); err != nil {
		return err
	}
	r.prev, r.prevRes = num, res
	r.replayed = append(r.replayed, num)
	return nil
}

// checkHeader applies row W8 to a WAL without a valid header (at most 16
// bytes: wal reads it as a log whose creation crashed, W7). That reading
// is wrong when the manifest proves the header was durable: wal.Create
// syncs it before it returns, and only then is a WAL recorded as the
// oldest unflushed log, or named by the end record of a WAL recorded
// closed. Such a WAL was cut after its creation.
func (r *replayer) checkHeader(path string, num base.FileNum, res wal.ReplayResult) error {
	if res.ValidSize != 0 {
		return nil
	}
	_, prevRecorded := r.d.manifest.ClosedLog(r.prev)
	named := r.prev != 0 && prevRecorded && r.prevRes.CleanClose && r.prevRes.Next == num
	if num != r.d.manifest.MinUnflushedLog() && !named {
		return nil
	}
	return base.Corruptionf(path, 0,
		"the WAL has no valid header (%d bytes), but the manifest %s records it created: it was cut after its creation",
		res.FileSize, r.d.manifestFile())
}

// checkFollows applies row W10 to a record of WAL num at off: a WAL that
// holds records is the first replayed, or the one the previous WAL's end
// record names. A rotation closes a WAL naming the next before it writes
// a record to the next, and a WAL that ended without an end record (a
// crash) or with one naming no WAL (Close) is followed only by WALs that
// an Open created and never wrote to.
func (r *replayer) checkFollows(path string, num base.FileNum, off int64) error {
	switch {
	case r.prev == 0, r.prevRes.CleanClose && r.prevRes.Next == num:
		return nil
	case !r.prevRes.CleanClose:
		return base.Corruptionf(path, off, "records follow WAL %s, which ended without an end record", r.prev)
	case r.prevRes.Next == 0:
		return base.Corruptionf(path, off, "records follow WAL %s, which ended when the database closed", r.prev)
	}
	return base.Corruptionf(path, off, "records follow WAL %s, whose end record names WAL %s", r.prev, r.prevRes.Next)
}

// checkNamedNext applies row W3 before WAL num is replayed (0: after the
// last): if the previous WAL was recorded closed and its end record names
// a WAL, that WAL comes next. A rotation creates the WAL it names before
// it records the closed one, so the named WAL existed; WALs are deleted
// only once obsolete.
func (r *replayer) checkNamedNext(num base.FileNum) error {
	next := r.prevRes.Next
	if r.prev == 0 || !r.prevRes.CleanClose || next == 0 || next == num {
		return nil
	}
	if _, recorded := r.d.manifest.ClosedLog(r.prev); !recorded {
		return nil // closed by a rotation that crashed before its edit
	}
	return base.Corruptionf(r.d.fs.PathJoin(r.d.dirs.wal, wal.FileName(next)), -1,
		"WAL named by the end record of WAL %s (recorded closed in the manifest %s) is missing", r.prev, r.d.manifestFile())
}

// checkUnrecorded applies row W5 to a WAL the manifest does not record
// closed: after a clean close, every WAL that holds records is recorded
// (a rotation or Close recorded it), so one that is not holds records
// that were never part of the closed database.
func (r *replayer) checkUnrecorded(path string, num base.FileNum, res wal.ReplayResult) error {
	m := r.d.manifest
	if _, recorded := m.ClosedLog(num); recorded || !m.Tracked() || !m.WasCleanClose() || res.Records == 0 {
		return nil
	}
	return base.Corruptionf(path, -1, "WAL holds %d records but is not recorded closed, though the database was closed cleanly", res.Records)
}

// checkSeq applies rows W11 and W13 to a batch. Its seqnum is at most the
// manifest's lease: the lease edit is durable before any batch uses a
// seqnum beyond the old lease, so a batch above it proves the manifest
// older than the WAL (rolled back). It is above every seqnum the
// manifest records flushed: a batch at or below proves the WAL older
// than the manifest (a copy put back). And it follows the previous batch
// by one: the WALs recovery reads were all written by one process since
// its Open (the recovery before it made every older WAL obsolete), which
// gives each committed batch the next seqnum and writes it, so a gap is
// a record lost from the middle. A malformed batch is left to apply,
// which reports it.
func (r *replayer) checkSeq(path string, payload []byte, off int64) error {
	b, err := decodeBatch(payload)
	if err != nil {
		return nil
	}
	prev := r.prevSeq
	r.prevSeq = b.Seq
	switch {
	case r.tracked && prev != 0 && b.Seq != prev+1:
		return base.Corruptionf(path, off,
			"batch seqnum %d does not follow %d: a batch is missing before it", uint64(b.Seq), uint64(prev))
	case b.Seq > r.seqLease:
		return base.Corruptionf(path, off,
			"batch seqnum %d is above the manifest's sequence-number lease %d: the manifest %s is older than the WAL (rolled back)",
			uint64(b.Seq), uint64(r.seqLease), r.d.manifestFile())
	case b.Seq <= r.seqFloor:
		return base.Corruptionf(path, off,
			"batch seqnum %d is at or below %d, which the manifest records as flushed: the WAL is older than the manifest",
			uint64(b.Seq), uint64(r.seqFloor))
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
	if err := applyBatch(r.mem, payload, false); err != nil {
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
		// No snapshot is open during recovery.
		meta, blobs, folded, err := r.d.writeSST(r.mem, nil)
		if err != nil {
			return err
		}
		r.horizon = max(r.horizon, folded)
		r.added = append(r.added, *meta)
		r.addedBlobs = append(r.addedBlobs, blobs...)
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

// release frees the memtable of a replay that failed.
func (r *replayer) release() {
	for _, m := range r.kept {
		m.unref()
	}
	r.kept = nil
	if r.mem != nil {
		r.mem.unref()
		r.mem = nil
	}
}
