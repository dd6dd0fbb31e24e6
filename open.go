package tempest

import (
	"errors"
	"os"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/compact"
	"github.com/tempestdb/tempest/internal/manifest"
	"github.com/tempestdb/tempest/vfs"
	"github.com/tempestdb/tempest/wal"
)

// Open opens the database in dirname, creating it if needed, and recovers
// it: it replays the manifest, then the WAL files the manifest does not
// know to be flushed. A nil opts means defaults.
//
// Recovery decides from evidence, by the recovery table in
// docs/design.md: a directory that holds WALs or SSTs but no readable
// manifest, a WAL shorter than the manifest or a clean close says it
// must be, a missing or resized SST, are ErrCorruption naming the file,
// never a new or smaller database. It writes what the WALs held to L0
// SSTs, starts a fresh WAL, and records both in one manifest edit; only
// then are obsolete files and proven orphans deleted. Files it cannot
// prove its own are left in place and reported (EventListener.UnknownFile).
//
// A crash at any point of Open leaves a state that the next Open recovers
// from to the same result. A failed Open changes nothing: it removes every
// file and directory it created (see open_attempt.go).
//
// With Options.ReadOnly, Open writes nothing (see open_readonly.go).
func Open(dirname string, opts *Options) (*DB, error) {
	o, err := opts.ensureDefaults()
	if err != nil {
		return nil, err
	}
	o.clampMaxOpenFiles()
	d := &DB{
		dirname: dirname,
		opts:    o,
		cmp:     o.Comparer,
		fs:      o.FS,
		dirs:    makeDirs(o.FS, dirname),
		lim:     limits{maxKey: o.MaxKeySize, maxValue: o.MaxValueSize, maxBatch: o.MaxBatchSize, cmp: o.Comparer, merger: o.Merger},
	}
	d.commit.drained.L = &d.commit.mu
	d.mu.cond.L = &d.mu.Mutex
	d.mu.snapshots.init()
	d.txns.init(o.Comparer, o.TxnConflictHistoryBytes)
	d.alloc.inflight = make(map[base.FileNum]struct{})
	bc := o.Cache
	if bc == nil {
		bc = NewCache(o.CacheSize)
	}
	d.cache = bc
	d.tables = newTableCache(d.fs, d.cmp, d.sstPath, bc.c, o.tableCacheSize())
	d.blobs = newBlobCache(d.fs, d.blobPath, d.blobSize, o.blobCacheSize(), bc.c, d.tables.cacheID)
	d.files.init(d)
	d.picker = compact.NewPicker(d.cmp, o.pickerOptions())
	if o.ReadOnly {
		if err := d.openReadOnly(); err != nil { // open_readonly.go
			d.abandon()
			return nil, err
		}
		return d, nil
	}
	a, err := recordRoot(d.fs, d.dirs)
	if err != nil {
		return nil, err
	}
	if err := d.open(a); err != nil {
		lock := d.lock
		d.lock = nil
		d.abandon()
		return nil, a.revert(err, lock)
	}
	return d, nil
}

// open runs the steps of recovery (docs/design.md, "Recovery").
func (d *DB) open(a *openAttempt) error {
	if err := d.lockDir(a); err != nil {
		return err
	}
	if err := a.recordDirs(); err != nil {
		return err
	}
	if err := d.makeDirs(); err != nil {
		return err
	}
	if err := d.openManifest(a); err != nil {
		return err
	}
	plan, err := d.planRecovery(a)
	if err != nil {
		return err
	}
	d.initAlloc(plan)
	if err := d.recover(plan); err != nil {
		return err
	}
	d.commitOpen(plan)
	return nil
}

// lockDir creates the database directory if needed and takes its lock.
func (d *DB) lockDir(a *openAttempt) error {
	if err := d.fs.MkdirAll(d.dirname, 0o755); err != nil {
		return err
	}
	path := d.fs.PathJoin(d.dirname, lockFileName)
	if err := a.noteLock(path); err != nil {
		return err
	}
	lock, err := d.fs.Lock(path)
	if err != nil {
		if errors.Is(err, base.ErrLocked) {
			return lockedError(d.dirname, false, err)
		}
		return err
	}
	d.lock = lock
	return nil
}

// makeDirs creates the subdirectories and makes their entries durable.
func (d *DB) makeDirs() error {
	for _, dir := range []string{d.dirs.wal, d.dirs.sst, d.dirs.manifest} {
		if err := d.fs.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	return vfs.SyncDir(d.fs, d.dirname)
}

// openManifest opens the manifest tentatively (nothing that exists is
// changed until commitOpen) and checks it.
func (d *DB) openManifest(a *openAttempt) error {
	m, err := manifest.OpenTentative(d.fs, d.dirs.manifest, d.cmp, d.opts.journalConfig())
	if err != nil {
		return err // M3, M4 (M5 is not an error)
	}
	m.SetClock(d.opts.Clock.Now)
	d.manifest = m
	return d.checkManifest(a)
}

// checkManifest initializes a new DB's manifest or validates an existing
// one: the comparer must match and every recorded SST must exist with its
// recorded size.
func (d *DB) checkManifest(a *openAttempt) error {
	m := d.manifest
	switch name := m.ComparerName(); {
	case name == "":
		if len(m.Files()) != 0 {
			return base.Corruptionf(d.dirs.manifest, -1, "manifest records files but no comparer")
		}
		if err := d.checkNewDB(a); err != nil {
			return err // M2
		}
		// M1: a new database, of the chosen format version: one of
		// FormatVersion2 records it and the floor.
		e := &manifest.Edit{
			ComparerName: d.cmp.Name,
			LastSeqNum:   base.SeqNumMin,
			NextFileNum:  1,
		}
		if v := d.opts.newDBFormat(); rulesOf(v).records {
			e.FormatVersion = v
			rulesOf(v).fit(e, m, 1, nil)
			if rulesOf(v).merges && d.opts.Merger != nil {
				e.MergerName = d.opts.Merger.Name
			}
		}
		return m.Apply(e)
	case name != d.cmp.Name:
		return base.InvalidArgumentf("database uses comparer %q, opened with %q", name, d.cmp.Name) // M6
	}
	if err := d.checkMergerName(); err != nil {
		return err
	}
	for _, f := range m.Files() {
		if err := d.checkTableFile(f); err != nil {
			return err
		}
	}
	for _, b := range m.BlobFiles() {
		if err := d.checkBlobFile(b); err != nil {
			return err
		}
	}
	return d.recordMergerName()
}

// checkTableFile applies rows S1-S3 to a live SST.
func (d *DB) checkTableFile(f *manifest.FileMetadata) error {
	path := d.sstPath(f.FileNum)
	info, err := d.fs.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return base.Corruptionf(path, -1, "SST recorded in the manifest %s is missing: %v", d.manifestFile(), err) // S2
	}
	if err != nil {
		return err // an I/O error is not corruption
	}
	if uint64(info.Size()) != f.Size {
		return base.Corruptionf(path, -1, "size %d differs from %d recorded in the manifest", info.Size(), f.Size) // S3
	}
	return nil
}

// checkBlobFile applies rows B2 and B3 to a live blob file.
func (d *DB) checkBlobFile(b manifest.BlobFile) error {
	path := d.blobPath(b.FileNum)
	info, err := d.fs.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return base.Corruptionf(path, -1, "blob file recorded in the manifest %s is missing: %v", d.manifestFile(), err) // B2
	}
	if err != nil {
		return err
	}
	if uint64(info.Size()) != b.Size {
		return base.Corruptionf(path, -1, "size %d differs from %d recorded in the manifest", info.Size(), b.Size) // B3
	}
	return nil
}

// initAlloc starts allocation at the manifest's leases, and past every
// file number in the directory: a number is never handed out twice, and
// never to a file that exists (one the engine does not know, say). A
// number beyond maxJump (which allocation never reaches) is not jumped
// past, so that a stray name cannot exhaust the numbers.
func (d *DB) initAlloc(plan *recoveryPlan) {
	const maxJump = base.FileNum(1) << 48
	m := d.manifest
	d.alloc.nextFile = m.NextFileNum()
	if plan.highest < maxJump {
		d.alloc.nextFile = max(d.alloc.nextFile, plan.highest+1)
	}
	d.alloc.fileLease = m.NextFileNum()
	d.alloc.seqLease = m.LastSeqNum()
}

// recover replays the WALs, flushes what they held, starts a new WAL and
// records all of it in the manifest, with the replayed WALs and the
// proven orphans recorded obsolete.
func (d *DB) recover(plan *recoveryPlan) error {
	r := newReplayer(d)
	err := r.replay(plan.logs)
	var added []manifest.FileMetadata
	if err == nil {
		added, err = r.finish()
	}
	if err != nil {
		r.release()
		return err
	}
	num, err := d.allocFileNum()
	if err != nil {
		return err
	}
	log, err := wal.Create(d.fs, d.dirs.wal, num, d.walOptions())
	if err != nil {
		return err
	}
	d.commit.log = log
	edit := &manifest.Edit{Added: added, AddedBlobs: r.addedBlobs, MinUnflushedLog: num, VisibleSeqNum: r.lastSeq, Obsolete: plan.orphans, Horizon: r.horizon}
	for _, n := range r.replayed {
		edit.Obsolete = append(edit.Obsolete, manifest.ObsoleteFile{Kind: manifest.KindLog, FileNum: n})
	}
	if !d.formatRules().records {
		plan.unrecorded = edit.Obsolete // M9: deleted, not recorded
	}
	if err := d.applyEdit(edit); err != nil {
		return err
	}
	d.releaseTableNums(addedNums(edit)...)
	d.startRecovered(num, r.lastSeq)
	return nil
}

// startRecovered sets up the in-memory state after recovery: sequence
// numbers, what readers see, and the memtable of WAL num.
func (d *DB) startRecovered(num base.FileNum, replayedSeq base.SeqNum) {
	// Every seqnum up to the manifest's lease may have been used before the
	// restart, by writes that did not survive it; new batches start above.
	// (No replayed batch is above the lease: row W11.)
	d.commit.lastSeq = max(d.manifest.LastSeqNum(), replayedSeq)
	// Readers see everything recovered. The manifest's horizon keeps
	// NewSnapshotAt refusing tokens whose versions compactions before the
	// restart may have dropped.
	d.visibleSeq.Store(uint64(d.recoveredVisibleSeq(replayedSeq)))
	d.mu.horizon = d.manifest.Horizon()
	d.mu.mem = d.newMemTable(num)
	d.chargeCache(d.mu.mem)
	d.mu.Lock()
	d.mu.flushedSeq = d.commit.lastSeq // recovery flushed everything it replayed
	d.updateReadStateLocked()          // the first: there is no previous one
	d.mu.Unlock()
}

// commitOpen ends the tentative open: Open can no longer fail. The
// manifest removes the files it superseded; obsolete files and proven
// orphans (S4, S5, W14) are deleted; unknown files (S6, W15) are
// reported; compactions start.
func (d *DB) commitOpen(plan *recoveryPlan) {
	d.manifest.Commit()
	byKind := make(map[manifest.FileKind][]base.FileNum)
	for _, o := range append(d.manifest.Obsolete(), plan.unrecorded...) {
		byKind[o.Kind] = append(byKind[o.Kind], o.FileNum)
	}
	d.deleteObsolete(manifest.KindLog, byKind[manifest.KindLog])
	d.deleteObsolete(manifest.KindTable, byKind[manifest.KindTable])
	d.deleteObsolete(manifest.KindBlob, byKind[manifest.KindBlob])
	d.reportUnknownFiles(plan.unknown)
	d.maybeScheduleCompaction()
}
