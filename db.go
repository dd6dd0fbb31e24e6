package tempest

import (
	"errors"
	"io"
	"sync"
	"sync/atomic"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/compact"
	"github.com/tempestdb/tempest/internal/manifest"
	"github.com/tempestdb/tempest/vfs"
	"github.com/tempestdb/tempest/wal"
)

// DB is an open database. All methods are safe for concurrent use.
//
// Lock order: commit.writeMu (the commit lock, whose holder is the commit
// leader), then txns.mu, then mu; commit.mu is taken under
// commit.writeMu or alone, and nothing is taken under it. alloc.mu is
// taken alone or under neither. The table cache's lock comes after all of
// them: nothing but the block cache's locks is taken under it. No lock is
// held across file I/O except alloc.mu (held while a lease edit is
// appended to the manifest, which only allocation waits for) and the
// commit lock: its holder writes the WAL, rotates it, and runs tasks.
type DB struct {
	dirname string
	opts    *Options
	cmp     *base.Comparer
	fs      vfs.FS
	dirs    dirs
	lim     limits

	lock     io.Closer
	manifest *manifest.Manifest
	tables   *tableCache
	blobs    *blobCache
	cache    *Cache
	files    fileRefs
	picker   *compact.Picker

	// visibleSeq is the highest sequence number whose batch is fully
	// applied to the memtable; reads see exactly the batches <= it.
	visibleSeq atomic.Uint64
	closed     atomic.Bool

	// commit is the commit pipeline; see commit.go.
	commit struct {
		// writeMu is the commit lock: its holder is the commit leader,
		// the one goroutine that writes the WAL and rotates the memtable.
		writeMu sync.Mutex
		// arrived counts the goroutines in runCommit; inflight, the
		// batches on pending (a writer alone in both commits alone).
		arrived, inflight atomic.Int64
		// mu guards pending and pubErr, and the requests' publication.
		mu sync.Mutex
		// drained is broadcast when pending becomes empty (tasks and
		// Close wait for it).
		drained sync.Cond
		// pending holds, in sequence order, the batches written to the
		// WAL and not yet visible (commit_apply.go).
		pending []*commitReq
		// pubErr, once set, fails every request still to be published:
		// a batch failed to go into the memtable, or its fsync failed.
		pubErr error
		// The fields below are owned by the commit leader.
		closed  bool
		log     *wal.Writer
		lastSeq base.SeqNum
	}

	// txns is the conflict tracker of transactions (txn_conflicts.go).
	// Its lock comes after commit.writeMu and before mu.
	txns conflictTracker

	// alloc hands out file numbers and sequence-number leases.
	alloc struct {
		mu        sync.Mutex
		nextFile  base.FileNum // guarded by mu
		fileLease base.FileNum // guarded by mu: the manifest's NextFileNum
		seqLease  base.SeqNum  // guarded by mu: the manifest's LastSeqNum
		// inflight are the SST numbers handed out and not yet recorded
		// in the manifest nor removed (guarded by mu).
		inflight map[base.FileNum]struct{}
	}

	// format serializes the manifest edits with format ratchets.
	format formatState

	// deletions are obsolete files removed, the removal synced, that no
	// manifest edit has recorded as deleted yet; the next edit does (see
	// applyEdit).
	deletions struct {
		sync.Mutex
		nums []base.FileNum
	}

	mu struct {
		sync.Mutex
		cond sync.Cond // signalled when a flush ends, on error and on close
		// mem is the active memtable; imms are frozen ones awaiting flush,
		// oldest first.
		mem       *memTable
		imms      []*memTable
		readState *readState
		// bgErr is the sticky error that made the DB read-only.
		bgErr     error
		flushing  bool
		closing   bool
		snapshots snapshotList
		// compactions are the compactions in progress.
		compactions []*compact.Compaction
		// finishing counts compactions that left compactions but have
		// not yet scheduled what follows them (see runCompaction).
		finishing int
		// manualCompactions counts DB.Compact calls in progress; automatic
		// compactions wait for them.
		manualCompactions int
		// ingesting is set while an ingestion places its files and
		// applies its edit: no compaction starts meanwhile (see
		// ingest_place.go).
		ingesting bool
		// readCompaction is the L0 whose seeks asked for a read-triggered
		// compaction (see read_compaction.go), or nil.
		readCompaction []*manifest.FileMetadata
		// horizon: versions older than this seqnum may have been dropped by
		// compactions, so no snapshot may read below it.
		horizon base.SeqNum
		// flushedSeq is the seqnum up to which the version holds every
		// batch, and above which it holds none: the last flushed
		// memtable's lastSeq (flushes install in order), or what Open
		// recovered. Only rises.
		flushedSeq base.SeqNum
	}

	// slow is the write slowdown state; see write_stall.go.
	slow writeSlowdown

	// bg counts background tasks; Close waits for them.
	bg sync.WaitGroup

	batchPool sync.Pool // *Batch, for Set and Delete

	levelStats [manifest.NumLevels]levelStats
	// counters for metrics.
	counters struct {
		walRecords        atomic.Uint64 // batches written to the WAL
		walSyncs          atomic.Uint64 // WAL fsyncs
		walBytes          atomic.Uint64
		flushes           atomic.Uint64
		stalls            atomic.Uint64
		stallNanos        atomic.Uint64
		tablesDeleted     atomic.Uint64
		blobFilesDeleted  atomic.Uint64
		compactions       atomic.Uint64
		readCompactions   atomic.Uint64
		compactionDropped atomic.Uint64
		unknownFiles      atomic.Int64 // files Open left in place unknown
	}
}

// levelStats count bytes read into and written by flushes and
// compactions targeting a level.
type levelStats struct {
	bytesIn, bytesWritten atomic.Uint64
	compactions           atomic.Uint64
}

type walStats struct{ records, syncs, bytes uint64 }

func (d *DB) walStats() walStats {
	return walStats{d.counters.walRecords.Load(), d.counters.walSyncs.Load(), d.counters.walBytes.Load()}
}

// NewBatch returns an empty batch whose size limits are the DB's.
func (d *DB) NewBatch() *Batch { return newBatch(&d.lim) }

// Set writes key=value. A nil o means Sync.
func (d *DB) Set(key, value []byte, o *WriteOptions) error {
	if err := d.writable(); err != nil {
		return err
	}
	b := d.getBatch()
	defer d.putBatch(b)
	if err := b.Set(key, value); err != nil {
		return err
	}
	_, err := d.Apply(b, o)
	return err
}

// Delete writes a tombstone for key. A nil o means Sync.
func (d *DB) Delete(key []byte, o *WriteOptions) error {
	if err := d.writable(); err != nil {
		return err
	}
	b := d.getBatch()
	defer d.putBatch(b)
	if err := b.Delete(key); err != nil {
		return err
	}
	_, err := d.Apply(b, o)
	return err
}

// getBatch and putBatch recycle the batches of Set and Delete: a
// committed batch is not referenced after Apply returns (the WAL and the
// memtable copy it).
func (d *DB) getBatch() *Batch {
	if b, ok := d.batchPool.Get().(*Batch); ok {
		return b
	}
	return d.NewBatch()
}

func (d *DB) putBatch(b *Batch) {
	if cap(b.data) > 1<<20 {
		return // do not keep large buffers alive
	}
	b.Reset()
	d.batchPool.Put(b)
}

// DeleteRange deletes every key k with start <= k < end (in the
// Comparer's order) written before it. A nil o means Sync.
func (d *DB) DeleteRange(start, end []byte, o *WriteOptions) error {
	if err := d.writable(); err != nil {
		return err
	}
	b := d.NewBatch()
	if err := b.DeleteRange(start, end); err != nil {
		return err
	}
	_, err := d.Apply(b, o)
	return err
}

// Apply commits b atomically with one sequence number, which the returned
// WriteToken carries. A nil o means Sync. The batch may be reused (after
// Reset) once Apply returns.
func (d *DB) Apply(b *Batch, o *WriteOptions) (WriteToken, error) {
	if err := d.writable(); err != nil {
		return WriteToken{}, err
	}
	if b == nil || b.data == nil {
		return WriteToken{}, base.InvalidArgumentf("nil batch or batch not created by DB.NewBatch")
	}
	if b.lim != &d.lim && (b.Len() > d.lim.maxBatch || b.memSize > uint64(d.lim.maxBatch)) {
		return WriteToken{}, base.InvalidArgumentf("batch exceeds this DB's MaxBatchSize")
	}
	if err := d.checkMergeWrite(b); err != nil {
		return WriteToken{}, err
	}
	seq, err := d.commitBatch(b, o.sync())
	if err != nil {
		return WriteToken{}, err
	}
	return WriteToken{seq: seq}, nil
}

// Get returns a copy of the newest visible value of key, or ErrNotFound.
// Under a Comparer with version suffixes, it returns the first visible
// version of key's prefix at or after key in the Comparer's order.
func (d *DB) Get(key []byte) ([]byte, error) {
	if d.closed.Load() {
		return nil, ErrClosed
	}
	rs, seq := d.loadReadStateAndSeq()
	defer rs.unref()
	return d.getAt(rs, key, seq)
}

// NewIter returns an iterator over the current state of the DB. It sees
// no writes committed after it was created.
func (d *DB) NewIter(o *IterOptions) (*Iterator, error) {
	if d.closed.Load() {
		return nil, ErrClosed
	}
	rs, seq := d.loadReadStateAndSeq()
	return d.newIter(rs, seq, o, nil)
}

// backgroundError returns the error that made the DB read-only, if any.
func (d *DB) backgroundError() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.mu.bgErr
}

// setBackgroundError makes the DB read-only with err as the cause.
func (d *DB) setBackgroundError(err error) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.setBackgroundErrorLocked(err)
}

func (d *DB) setBackgroundErrorLocked(err error) error {
	if d.mu.bgErr == nil {
		d.mu.bgErr = base.MarkReadOnly(err)
		d.opts.Logger.Error("tempest: DB is now read-only", "err", err)
		d.mu.cond.Broadcast()
		if l := d.opts.EventListener; l.BackgroundError != nil {
			l.BackgroundError(err)
		}
		if l := d.opts.EventListener; l.CorruptionFound != nil && errors.Is(err, ErrCorruption) {
			l.CorruptionFound(err)
		}
	}
	return d.mu.bgErr
}
