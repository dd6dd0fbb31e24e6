package tempest

import (
	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
	"github.com/tempestdb/tempest/sstable"
	"github.com/tempestdb/tempest/vfs"
)

// Flushing writes frozen memtables, oldest first, to L0 SSTs.
//
// Durable ordering for each flush:
//  1. write the SST and fsync it (sstable.Writer.Finish), then fsync the
//     sst directory;
//  2. append a manifest edit that adds the file and raises
//     MinUnflushedLog to the WAL of the next memtable, and fsync it;
//  3. only then make the SST visible to readers in place of the memtable,
//     and delete the memtable's WAL, which the edit recorded obsolete.
//
// A crash between any two steps leaves either the WAL (replayed on open)
// or the manifest-recorded SST holding the data; an SST never recorded in
// the manifest is at or above the orphan floor, and Open deletes it (see
// recovery_plan.go).

// maybeScheduleFlush starts the flush loop if memtables await flush and it
// is not running. Called without d.mu.
func (d *DB) maybeScheduleFlush() {
	d.mu.Lock()
	if d.mu.flushing || len(d.mu.imms) == 0 || d.mu.bgErr != nil || d.mu.closing {
		d.mu.Unlock()
		return
	}
	d.mu.flushing = true
	d.bg.Add(1)
	d.mu.Unlock()
	d.schedule(d.flushLoop)
}

func (d *DB) flushLoop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	defer d.mu.cond.Broadcast()
	for len(d.mu.imms) > 0 && d.mu.bgErr == nil && !d.mu.closing {
		imm := d.mu.imms[0]
		next := d.logNumAfterLocked(0)
		d.mu.Unlock()
		err := d.flushMemTable(imm, next)
		d.mu.Lock()
		if err != nil {
			d.setBackgroundErrorLocked(err)
			break
		}
		d.counters.flushes.Add(1)
		d.mu.imms = d.mu.imms[1:]
		d.mu.flushedSeq = max(d.mu.flushedSeq, imm.lastSeq)
		imm.unref()
		old := d.updateReadStateLocked()
		d.mu.cond.Broadcast()
		d.mu.Unlock()
		old.unref()
		d.deleteObsolete(manifest.KindLog, []base.FileNum{imm.logNum})
		d.maybeScheduleCompaction()
		d.mu.Lock()
	}
	d.mu.flushing = false // the deferred Broadcast wakes Flush
}

// flushMemTable writes imm to an L0 SST (if it holds anything) and records
// it in the manifest together with MinUnflushedLog = next, which makes
// imm's WAL obsolete.
func (d *DB) flushMemTable(imm *memTable, next base.FileNum) error {
	// Every batch written to imm's WAL goes into imm before it is read.
	imm.writers.Wait()
	if err := d.backgroundError(); err != nil { // a batch failed to go into imm
		return err
	}
	l := d.opts.EventListener
	start := d.opts.Clock.Now()
	if l.FlushBegin != nil {
		l.FlushBegin(FlushInfo{})
	}
	// imm.lastSeq covers batches that left no entry in it (empty ones):
	// once its WAL is gone, only the manifest remembers them.
	edit := &manifest.Edit{MinUnflushedLog: next, VisibleSeqNum: imm.lastSeq,
		Obsolete: []manifest.ObsoleteFile{{Kind: manifest.KindLog, FileNum: imm.logNum}}}
	info := FlushInfo{}
	var err error
	if !imm.empty() {
		var meta *manifest.FileMetadata
		var folded base.SeqNum
		snapshots, horizon := d.flushSnapshots(imm)
		var blobs []manifest.BlobFile
		if meta, blobs, folded, err = d.writeSST(imm, snapshots); err == nil {
			if folded != 0 {
				edit.Horizon = max(horizon, folded)
			}
			edit.Added = []manifest.FileMetadata{*meta}
			edit.AddedBlobs = blobs
			info.Output, info.Bytes = uint64(meta.FileNum), meta.Size
			d.levelStats[0].bytesWritten.Add(meta.Size)
		}
	}
	if err == nil {
		err = d.applyEdit(edit)
	}
	if err == nil {
		d.releaseTableNums(addedNums(edit)...)
	}
	info.Duration, info.Err = d.opts.Clock.Now().Sub(start), err
	if l.FlushEnd != nil {
		l.FlushEnd(info)
	}
	if err == nil && info.Output != 0 && l.TableCreated != nil {
		l.TableCreated(TableInfo{FileNum: info.Output, Level: 0, Size: info.Bytes})
	}
	return err
}

// writeSST writes a memtable to a new L0 SST: its range tombstones, and
// its entries minus duplicates of one key and seqnum (a batch that wrote
// the key twice: the first in iteration order is the later write). Under
// a Merger it combines merge operands as a compaction does, within the
// stripes of snapshots (flushIter), and returns the largest seqnum of an
// entry that combined others (0 if none): the horizon it needs. Then it
// fsyncs the file and the sst directory. Values of at least
// ValueSeparationThreshold bytes go to a new blob file (blobOutput),
// written and fsynced before the SST; it returns the blob files written.
// On error the files written stay in flight: the caller's error stops the
// DB, and the next Open proves them orphans.
func (d *DB) writeSST(m *memTable, snapshots []base.SeqNum) (*manifest.FileMetadata, []manifest.BlobFile, base.SeqNum, error) {
	it := d.flushIter(m, snapshots)
	defer it.Close()
	estimate := int(m.Count())
	num, err := d.allocTableNum()
	if err != nil {
		return nil, nil, 0, err
	}
	f, err := d.fs.Create(d.sstPath(num))
	if err != nil {
		return nil, nil, 0, err
	}
	w := sstable.NewWriter(f, d.writerOptions(0, num, estimate))
	bo := d.newBlobOutput(nil)
	fail := func(err error) (*manifest.FileMetadata, []manifest.BlobFile, base.SeqNum, error) {
		w.Abort()
		bo.abort()
		return nil, nil, 0, err
	}
	for _, t := range m.tombstones() {
		if err := w.AddRangeDel(t.Start, t.End, t.Seq); err != nil {
			return fail(err)
		}
	}
	var prev base.InternalKey
	havePrev := false
	var y yielder
	for ok := it.First(); ok; ok = it.Next() {
		y.step()
		k := it.Key()
		if havePrev && d.cmp.CompareInternal(prev, k) == 0 {
			continue
		}
		prev, havePrev = k, true
		k, v, err := bo.add(k, it.Value())
		if err == nil {
			err = w.Add(k, v)
		}
		if err != nil {
			return fail(err)
		}
	}
	if err := it.Error(); err != nil {
		return fail(err)
	}
	if err := bo.finish(); err != nil {
		return fail(err)
	}
	sm, err := w.Finish()
	if err != nil {
		return nil, nil, 0, err
	}
	if err := vfs.SyncDir(d.fs, d.dirs.sst); err != nil {
		return nil, nil, 0, err
	}
	meta := fileMetadata(num, 0, sm)
	meta.BlobRefs = bo.takeRefs()
	return &meta, bo.files, it.foldHorizon(), nil
}

// writerOptions configures an SST writer for a file of level.
func (d *DB) writerOptions(level int, num base.FileNum, estimate int) sstable.WriterOptions {
	return sstable.WriterOptions{
		Comparer:        d.cmp,
		BlockSize:       d.opts.BlockSize,
		RestartInterval: d.opts.BlockRestartInterval,
		BloomFPR:        d.opts.BloomFalsePositiveRate,
		EstimatedKeys:   estimate,
		FileName:        d.sstPath(num),
		FileNum:         num,
		FormatVersion:   d.tableFormat(),
		Compression:     d.opts.LevelCompression[level].sstable(),
	}
}

// Flush freezes the active memtable, if it holds anything, and waits until
// every frozen memtable is written to an L0 SST and recorded in the
// manifest, and the compactions those flushes call for are scheduled (so
// that Metrics().CompactionsInProgress, read after Flush, counts them).
func (d *DB) Flush() error {
	if err := d.freeze(); err != nil {
		return err
	}
	// The flush loop schedules compactions after it removes a memtable
	// from imms; it clears flushing once it has done so for the last one.
	return d.waitFlushed(true)
}

// waitFlushed waits until no frozen memtable is left (and, with
// loopDone, until the flush loop has finished with the last one), or the
// DB fails or closes.
func (d *DB) waitFlushed(loopDone bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for (len(d.mu.imms) > 0 || (loopDone && d.mu.flushing)) && d.mu.bgErr == nil && !d.mu.closing {
		d.mu.cond.Wait()
	}
	switch {
	case d.mu.bgErr != nil:
		return d.mu.bgErr
	case len(d.mu.imms) > 0:
		return ErrClosed
	}
	return nil
}

// freeze asks the commit leader to rotate the active memtable and WAL,
// which schedules a flush; it does not wait for the flush.
func (d *DB) freeze() error {
	if err := d.writable(); err != nil {
		return err
	}
	r := &commitReq{task: d.rotateIfNotEmpty}
	d.runCommit(r)
	return r.err
}

// freezeAll freezes the active memtable, even an empty one, and returns
// the frozen memtable's lastSeq: every batch acknowledged before the call
// is at or below it, in that memtable or an older source.
func (d *DB) freezeAll() (base.SeqNum, error) {
	if err := d.writable(); err != nil {
		return 0, err
	}
	var seq base.SeqNum
	r := &commitReq{task: func() (err error) {
		seq, err = d.rotateAlways()
		return err
	}}
	d.runCommit(r)
	return seq, r.err
}

// rotateAlways is rotateIfNotEmpty for freezeAll: it rotates even an
// empty memtable, and returns the frozen memtable's lastSeq. Leader only.
func (d *DB) rotateAlways() (base.SeqNum, error) {
	if err := d.backgroundError(); err != nil {
		return 0, err
	}
	seq := d.commit.lastSeq
	if err := d.rotateMemTable(d.opts.MemTableSize); err != nil {
		return 0, d.setBackgroundError(err)
	}
	return seq, nil
}

// rotateIfNotEmpty freezes the active memtable unless it and its WAL
// are empty, and makes sure a flush is scheduled. Leader only.
//
// A memtable with no entry may still have a WAL that holds batches: a
// batch that left no entry (an empty one) is written to the WAL too.
// Such a WAL must be made obsolete like any other before an edit records
// a seqnum above its batches as flushed (an ingestion's): recovery
// proves a WAL batch at or below that seqnum a copy put back.
func (d *DB) rotateIfNotEmpty() error {
	d.mu.Lock()
	empty, bgErr := d.mu.mem.empty(), d.mu.bgErr
	d.mu.Unlock()
	if bgErr != nil {
		return bgErr
	}
	if !empty || d.commit.log.HoldsRecords() {
		if err := d.rotateMemTable(d.opts.MemTableSize); err != nil {
			return d.setBackgroundError(err)
		}
	}
	d.maybeScheduleFlush()
	return nil
}
