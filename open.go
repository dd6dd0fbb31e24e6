package tempest

import (
	"errors"
	"os"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/compact"
	"github.com/tempestdb/tempest/internal/manifest"
	"github.com/tempestdb/tempest/wal"
)

// Open opens the database in dirname, creating it if needed, and recovers
// it: it replays the manifest, then the WAL files the manifest does not
// know to be flushed. A nil opts means defaults.
//
// Recovery writes what the WALs held to L0 SSTs, starts a fresh WAL, and
// records both in one manifest edit; only then are old WALs and orphan
// files deleted. A crash at any point of Open leaves a state that the next
// Open recovers from to the same result. With Options.ReadOnly, Open
// writes nothing (see open_readonly.go).
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
		lim:     limits{maxKey: o.MaxKeySize, maxValue: o.MaxValueSize, maxBatch: o.MaxBatchSize, cmp: o.Comparer},
	}
	d.commit.cond.L = &d.commit.mu
	d.mu.cond.L = &d.mu.Mutex
	d.mu.snapshots.init()
	bc := o.Cache
	if bc == nil {
		bc = NewCache(o.CacheSize)
	}
	d.cache = bc
	d.tables = newTableCache(d.fs, d.cmp, d.sstPath, bc.c, o.tableCacheSize())
	d.files.init(d)
	d.picker = compact.NewPicker(d.cmp, o.pickerOptions())
	open := d.open
	if o.ReadOnly {
		open = d.openReadOnly // open_readonly.go
	}
	if err := open(); err != nil {
		d.abandon()
		return nil, err
	}
	return d, nil
}

func (d *DB) open() error {
	if err := d.fs.MkdirAll(d.dirname, 0o755); err != nil {
		return err
	}
	lock, err := d.fs.Lock(d.fs.PathJoin(d.dirname, "LOCK"))
	if err != nil {
		if errors.Is(err, base.ErrLocked) {
			return lockedError(d.dirname, false, err)
		}
		return err
	}
	d.lock = lock
	for _, dir := range []string{d.dirs.wal, d.dirs.sst, d.dirs.manifest} {
		if err := d.fs.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	if err := syncDir(d.fs, d.dirname); err != nil {
		return err
	}
	m, err := manifest.Open(d.fs, d.dirs.manifest, d.cmp, d.opts.journalConfig())
	if err != nil {
		return err
	}
	d.manifest = m
	if err := d.checkManifest(); err != nil {
		return err
	}
	d.alloc.nextFile = m.NextFileNum()
	d.alloc.fileLease = m.NextFileNum()
	d.alloc.seqLease = m.LastSeqNum()
	return d.recover()
}

// checkManifest initializes a new DB's manifest or validates an existing
// one: the comparer must match and every recorded SST must exist with its
// recorded size.
func (d *DB) checkManifest() error {
	m := d.manifest
	switch name := m.ComparerName(); {
	case name == "":
		if len(m.Files()) != 0 {
			return base.Corruptionf(d.dirs.manifest, -1, "manifest records files but no comparer")
		}
		return m.Apply(&manifest.Edit{
			ComparerName: d.cmp.Name,
			LastSeqNum:   base.SeqNumMin,
			NextFileNum:  1,
		})
	case name != d.cmp.Name:
		return base.InvalidArgumentf("database uses comparer %q, opened with %q", name, d.cmp.Name)
	}
	for _, f := range m.Files() {
		path := d.sstPath(f.FileNum)
		info, err := d.fs.Stat(path)
		if errors.Is(err, os.ErrNotExist) {
			return base.Corruptionf(path, -1, "SST recorded in the manifest is missing: %v", err)
		}
		if err != nil {
			return err // an I/O error is not corruption
		}
		if uint64(info.Size()) != f.Size {
			return base.Corruptionf(path, -1, "size %d differs from %d recorded in the manifest", info.Size(), f.Size)
		}
	}
	return nil
}

// recover replays the WALs, flushes what they held, starts a new WAL and
// records all of it in the manifest, then deletes obsolete files.
func (d *DB) recover() error {
	logs, err := d.logsToReplay()
	if err != nil {
		return err
	}
	lastSeq := d.manifest.LastSeqNum()
	r := &replayer{d: d, lastSeq: base.SeqNumZero}
	if err := r.replay(logs); err != nil {
		return err
	}
	added, err := r.finish()
	if err != nil {
		return err
	}
	lastSeq = max(lastSeq, r.lastSeq)

	num, err := d.allocFileNum()
	if err != nil {
		return err
	}
	log, err := wal.Create(d.fs, d.dirs.wal, num, d.opts.walOptions())
	if err != nil {
		return err
	}
	d.commit.log = log
	edit := &manifest.Edit{Added: added, MinUnflushedLog: num, VisibleSeqNum: r.lastSeq}
	if err := d.manifest.Apply(edit); err != nil {
		return err
	}
	// Every seqnum up to the manifest's lease may have been used before the
	// restart, by writes that did not survive it; new batches start above.
	d.commit.lastSeq = lastSeq
	// Readers see everything recovered. The manifest's horizon keeps
	// NewSnapshotAt refusing tokens whose versions compactions before the
	// restart may have dropped.
	d.visibleSeq.Store(uint64(d.recoveredVisibleSeq(r.lastSeq)))
	d.mu.horizon = d.manifest.Horizon()
	d.mu.mem = d.newMemTable(num)
	d.chargeCache(d.mu.mem)
	d.mu.Lock()
	d.updateReadStateLocked() // the first: there is no previous one
	d.mu.Unlock()
	d.deleteObsoleteLogs(num)
	d.deleteOrphanTables()
	d.maybeScheduleCompaction()
	return nil
}
