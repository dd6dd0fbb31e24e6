package tempest

import (
	"context"
	"slices"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/compact"
	"github.com/tempestdb/tempest/internal/manifest"
)

// Compactions merge files of one level into the next (leveled compaction,
// picked by internal/compact). Durable ordering for each:
//  1. write the outputs, fsync each, fsync the sst directory;
//  2. append one manifest edit that removes the inputs and adds the
//     outputs, and fsync it;
//  3. install the new version for readers; the inputs become obsolete and
//     are deleted once no read uses them.
// A crash before step 2 leaves the inputs live and the outputs orphans
// (at or above the orphan floor: deleted on open); after it, the inputs
// are recorded obsolete (deleted on open).
//
// Compactions that run concurrently never share an input file or write
// overlapping key ranges of one level (the picker excludes them).

// maybeScheduleCompaction starts as many compactions as the picker finds
// and the concurrency limit allows, delete-only ones first (see
// compaction_delete_only.go). Called without d.mu.
func (d *DB) maybeScheduleCompaction() {
	d.mu.Lock()
	ok := d.compactionAllowedLocked() && len(d.mu.compactions) < d.opts.MaxConcurrentCompactions
	d.mu.Unlock()
	if !ok {
		return
	}
	hints := d.deleteHints()
	var start []*compact.Compaction
	d.mu.Lock()
	for d.compactionAllowedLocked() && len(d.mu.compactions) < d.opts.MaxConcurrentCompactions {
		c := d.pickLocked(hints, d.rewriteSlotLocked())
		if c == nil {
			break
		}
		d.startCompactionLocked(c)
		start = append(start, c)
	}
	d.mu.Unlock()
	for _, c := range start {
		d.schedule(func() { d.runCompaction(c) })
	}
}

// rewriteSlotLocked reports whether one more compaction that rewrites
// data may start. One always may. More, up to MaxConcurrentCompactions,
// start only while the LSM is well behind its shape: some level scores
// extraCompactionScore or more once the running compactions' inputs are
// set aside. On a machine with few cores every extra compaction takes
// CPU from the writers it is meant to help, so it runs only when one
// compaction at a time is falling behind. Delete-only compactions, which
// write nothing, need no slot.
func (d *DB) rewriteSlotLocked() bool {
	if len(d.mu.compactions) == 0 {
		return true
	}
	info := d.picker.Info(d.mu.readState.version, d.mu.compactions)
	for _, s := range info.Scores {
		if s >= extraCompactionScore {
			return true
		}
	}
	return false
}

// extraCompactionScore is the level score from which compactions run
// concurrently: twice over target (for L0, twice L0CompactionThreshold
// idle files).
const extraCompactionScore = 2

func (d *DB) compactionAllowedLocked() bool {
	return !d.mu.closing && d.mu.bgErr == nil && !d.opts.DisableAutomaticCompactions && d.mu.manualCompactions == 0 &&
		!d.mu.ingesting
}

// startCompactionLocked registers c as in progress and fixes the
// snapshots it must preserve.
func (d *DB) startCompactionLocked(c *compact.Compaction) {
	d.mu.compactions = append(d.mu.compactions, c)
	d.bg.Add(1)
	d.raiseHorizonLocked()
}

// raiseHorizonLocked raises the horizon to the visible seqnum, for work
// that may drop or combine versions: below the visible seqnum it keeps
// only what the open snapshots need, so a read at any other older seqnum
// may find versions gone. NewSnapshotAt refuses such seqnums (see it).
func (d *DB) raiseHorizonLocked() {
	if h := base.SeqNum(d.visibleSeq.Load()); h > d.mu.horizon {
		d.mu.horizon = h
	}
}

func (d *DB) snapshotSeqsLocked() []base.SeqNum {
	var seqs []base.SeqNum
	for s := d.mu.snapshots.root.next; s != &d.mu.snapshots.root; s = s.next {
		if len(seqs) == 0 || seqs[len(seqs)-1] != s.seq {
			seqs = append(seqs, s.seq)
		}
	}
	return seqs
}

// runCompaction executes c and installs its result. An error makes the DB
// read-only: the inputs stay live, and the outputs written so far are
// orphans that the next Open deletes.
func (d *DB) runCompaction(c *compact.Compaction) {
	d.mu.Lock()
	snapshots := d.snapshotSeqsLocked()
	horizon := d.mu.horizon // raised when c started
	d.mu.Unlock()
	l := d.opts.EventListener
	info := compactionInfo(c)
	start := d.opts.Clock.Now()
	if l.CompactionBegin != nil {
		l.CompactionBegin(info)
	}

	edit, err := d.compactionEdit(c, snapshots)
	if err != nil {
		// The outputs were never recorded: remove them now.
		d.removeAbandonedTables(addedNums(edit))
	} else {
		// The horizon is recorded with the first edit that may drop
		// versions below it, so that it survives a restart.
		if c.Kind != compact.KindMove {
			edit.Horizon = horizon
		}
		for _, n := range removedOnly(edit) {
			edit.Obsolete = append(edit.Obsolete, manifest.ObsoleteFile{Kind: manifest.KindTable, FileNum: n})
		}
		// After a failed manifest append the edit may still be durable, so
		// its outputs stay in flight, for the next Open to judge.
		if err = d.applyEdit(edit); err == nil {
			d.releaseTableNums(addedNums(edit)...)
		}
	}
	d.mu.Lock()
	d.mu.compactions = slices.DeleteFunc(d.mu.compactions, func(x *compact.Compaction) bool { return x == c })
	// Until the compactions that follow this one are scheduled (below,
	// after the listener, the readState release and the deletion of the
	// inputs, which can take milliseconds), c still counts as in progress:
	// a caller waiting for CompactionsInProgress to reach 0 must not see
	// 0 in between.
	d.mu.finishing++
	defer func() {
		d.mu.Lock()
		d.mu.finishing--
		d.mu.Unlock()
	}()
	var old *readState
	if err != nil {
		d.setBackgroundErrorLocked(err)
	} else {
		old = d.updateReadStateLocked()
		d.recordCompactionLocked(c, edit)
	}
	d.mu.cond.Broadcast()
	d.mu.Unlock()
	info.Duration, info.Err = d.opts.Clock.Now().Sub(start), err
	for _, f := range edit.Added {
		info.Outputs = append(info.Outputs, uint64(f.FileNum))
		info.BytesOut += f.Size
	}
	if l.CompactionEnd != nil {
		l.CompactionEnd(info)
	}
	if err != nil {
		return
	}
	if l.TableCreated != nil && c.Kind != compact.KindMove {
		for _, f := range edit.Added {
			l.TableCreated(TableInfo{FileNum: uint64(f.FileNum), Level: f.Level, Size: f.Size})
		}
	}
	old.unref()
	d.files.markObsolete(manifest.KindTable, removedOnly(edit))
	d.maybeScheduleCompaction()
}

// recordCompactionLocked updates the statistics after c installed edit.
func (d *DB) recordCompactionLocked(c *compact.Compaction, edit *manifest.Edit) {
	d.counters.compactions.Add(1)
	st := &d.levelStats[c.OutputLevel]
	st.compactions.Add(1)
	if c.Kind == compact.KindMove || c.Kind == compact.KindDeleteOnly {
		return // nothing read, nothing written
	}
	for _, f := range append(slices.Clone(c.Inputs), c.OutputLevelInputs...) {
		st.bytesIn.Add(f.Size)
	}
	for _, f := range edit.Added {
		st.bytesWritten.Add(f.Size)
	}
}

// compactionInfo describes c for the EventListener.
func compactionInfo(c *compact.Compaction) CompactionInfo {
	info := CompactionInfo{Kind: c.Kind.String(), StartLevel: c.StartLevel, OutputLevel: c.OutputLevel}
	for _, f := range append(slices.Clone(c.Inputs), c.OutputLevelInputs...) {
		info.Inputs = append(info.Inputs, uint64(f.FileNum))
		info.BytesIn += f.Size
	}
	return info
}

// compactionEdit runs the merge (unless c only moves a file) and returns
// the manifest edit that installs it.
func (d *DB) compactionEdit(c *compact.Compaction, snapshots []base.SeqNum) (*manifest.Edit, error) {
	edit := &manifest.Edit{}
	for _, f := range c.Inputs {
		edit.Removed = append(edit.Removed, manifest.RemovedFile{Level: c.StartLevel, FileNum: f.FileNum})
	}
	for _, f := range c.OutputLevelInputs {
		edit.Removed = append(edit.Removed, manifest.RemovedFile{Level: c.OutputLevel, FileNum: f.FileNum})
	}
	if c.Kind == compact.KindDeleteOnly {
		return edit, nil // no reader sees anything the files hold: drop them
	}
	if c.Kind == compact.KindMove {
		for _, f := range c.Inputs {
			moved := *f
			moved.Level = c.OutputLevel
			edit.Added = append(edit.Added, moved)
		}
		return edit, nil
	}
	added, blobs, err := d.writeCompactionOutputs(c, snapshots)
	edit.Added, edit.AddedBlobs = added, blobs
	return edit, err
}

// addedNums returns the numbers of the files an edit adds.
func addedNums(e *manifest.Edit) []base.FileNum {
	var out []base.FileNum
	for _, f := range e.Added {
		out = append(out, f.FileNum)
	}
	for _, b := range e.AddedBlobs {
		out = append(out, b.FileNum)
	}
	return out
}

// removedOnly returns the file numbers an edit removes and does not re-add
// (a move re-adds its file at another level).
func removedOnly(e *manifest.Edit) []base.FileNum {
	var out []base.FileNum
	for _, r := range e.Removed {
		if !slices.ContainsFunc(e.Added, func(f manifest.FileMetadata) bool { return f.FileNum == r.FileNum }) {
			out = append(out, r.FileNum)
		}
	}
	return out
}

// Compact flushes the memtables and then compacts every level's files
// overlapping [start, end] (nil bounds: the whole key space) down the
// tree, level by level, so that afterwards that range lives in the bottom
// levels with shadowed versions and droppable tombstones removed. First
// it removes, anywhere in the tree, the files that range tombstones
// delete wholesale (delete-only compactions), which spares rewriting
// them. Automatic compactions pause while it runs. It returns ctx.Err()
// if ctx ends first (the compaction running at that moment completes).
func (d *DB) Compact(ctx context.Context, start, end []byte) error {
	if err := d.writable(); err != nil {
		return err
	}
	if err := d.Flush(); err != nil {
		return err
	}
	d.mu.Lock()
	d.mu.manualCompactions++
	defer func() {
		d.mu.manualCompactions--
		d.mu.Unlock()
		d.maybeScheduleCompaction()
	}()
	// Wait for automatic compactions to drain.
	for len(d.mu.compactions) > 0 && d.mu.bgErr == nil && !d.mu.closing {
		d.mu.cond.Wait()
	}
	d.mu.Unlock()
	hints := d.deleteHints() // reads tables: not under d.mu
	d.mu.Lock()
	d.runDeleteOnlyLocked(hints)
	for level := 0; level < NumLevels; level++ {
		for {
			if err := ctx.Err(); err != nil {
				return err
			}
			if d.mu.bgErr != nil {
				return d.mu.bgErr
			}
			if d.mu.closing {
				return ErrClosed
			}
			// Automatic compactions are paused, but another Compact call
			// may be running one: wait for it, so that the pick below
			// sees every file it would share. An ingestion placing its
			// files must see no new compaction: wait for it too.
			if len(d.mu.compactions) > 0 || d.mu.ingesting {
				d.mu.cond.Wait()
				continue
			}
			c := d.picker.PickManual(d.mu.readState.version, level, start, end, d.mu.compactions)
			if c == nil || (level == NumLevels-1 && c.OutputLevel == level && !hasGarbage(c)) {
				break
			}
			d.startCompactionLocked(c)
			d.mu.Unlock()
			d.runCompaction(c)
			d.bg.Done()
			d.mu.Lock()
			if c.StartLevel == c.OutputLevel {
				break // compacted the level into itself: one pass is enough
			}
		}
	}
	return d.mu.bgErr
}

// hasGarbage reports whether compacting the bottom level into itself could
// drop anything: some file holds tombstones.
func hasGarbage(c *compact.Compaction) bool {
	for _, f := range c.Inputs {
		if f.DeletionCount > 0 {
			return true
		}
	}
	return false
}
