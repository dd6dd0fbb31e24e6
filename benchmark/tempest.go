package benchmark

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/tempestdb/tempest"
)

// Tempest is the Engine adapter of Tempest itself.
//
// Config: MemTableSize, WaitingMemTables (MaxImmutableMemTables),
// BloomBitsPerKey (as a false-positive rate) and Compression ("default"
// is Tempest's default, Snappy); EngineDefaults opens with nil options.
// Memory is configured as in the Pebble adapter, which gives Pebble's
// cache CacheSize plus the memtables and lets Pebble's memtables reserve
// their memory in it: Tempest gets MemoryBudget = CacheSize + (1 +
// WaitingMemTables) × MemTableSize, so memtables and blocks share one
// budget of the same size, and blocks get CacheSize while every memtable
// exists. Sync: tempest.Sync
// or tempest.NoSync per write. Settle: DB.Flush, then WaitQuiet on
// Metrics().CompactionsInProgress. Stats: WAL bytes plus the SST bytes
// written by flushes and compactions (Metrics: the levels' BytesWritten).
// SyncStats: the synced writes the adapter saw acknowledged, and
// Metrics().WAL.Syncs, the WAL's fsyncs.
type Tempest struct {
	dir  string
	db   *tempest.DB
	opts *tempest.Options
	// syncedCommits counts the synced Set, Delete and Apply calls that
	// succeeded.
	syncedCommits atomic.Uint64
	// batches recycles the batches of Apply (a batch may be reused once
	// Apply returns), as Pebble's Batch.Close does for the Pebble adapter.
	batches sync.Pool
}

// NewTempest returns an unopened Tempest engine.
func NewTempest() Engine { return &Tempest{} }

// Name implements Engine.
func (e *Tempest) Name() string { return "tempest" }

// Open implements Engine.
func (e *Tempest) Open(dir string, cfg Config) error {
	opts, err := tempestOptions(cfg)
	if err != nil {
		return err
	}
	db, err := tempest.Open(dir, opts)
	if err != nil {
		return err
	}
	e.dir, e.db, e.opts = dir, db, opts
	return nil
}

// tempestOptions are the options of cfg: nil (the defaults) for
// EngineDefaults.
func tempestOptions(cfg Config) (*tempest.Options, error) {
	if cfg.EngineDefaults {
		return nil, nil
	}
	opts := &tempest.Options{
		MaxImmutableMemTables:  cfg.WaitingMemTables,
		MemoryBudget:           cfg.CacheSize + int64(cfg.WaitingMemTables+1)*cfg.MemTableSize,
		BloomFalsePositiveRate: BloomFPR(cfg.BloomBitsPerKey),
	}
	switch cfg.Compression {
	case "", "default":
	case "none":
		opts.Compression = tempest.NoCompression
	case "snappy":
		opts.Compression = tempest.SnappyCompression
	default:
		return nil, fmt.Errorf("tempest: compression %q: %w", cfg.Compression, ErrUnsupported)
	}
	if cfg.MemTableSize < tempest.MinMemTableSize || cfg.MemTableSize > tempest.MaxMemTableSize {
		return nil, fmt.Errorf("tempest: memtable size %d outside [%d, %d]", cfg.MemTableSize,
			tempest.MinMemTableSize, int64(tempest.MaxMemTableSize))
	}
	opts.MemTableSize = int(cfg.MemTableSize)
	opts.ValueSeparationThreshold = cfg.ValueThreshold
	return opts, nil
}

// Effective implements Describer.
func (e *Tempest) Effective() string {
	o := e.db.Options()
	return fmt.Sprintf("memtable %s, %d waiting, memory budget %s (blocks get what memtables leave), bloom fpr %.4f, compression %v, value separation from %d bytes",
		FormatBytes(int64(o.MemTableSize)), o.MaxImmutableMemTables, FormatBytes(o.MemoryBudget), o.BloomFalsePositiveRate, o.Compression,
		o.ValueSeparationThreshold)
}

func writeOptions(sync bool) *tempest.WriteOptions {
	if sync {
		return tempest.Sync
	}
	return tempest.NoSync
}

// committed counts a synced write that succeeded, and returns err.
func (e *Tempest) committed(sync bool, err error) error {
	if sync && err == nil {
		e.syncedCommits.Add(1)
	}
	return err
}

// Set implements Engine.
func (e *Tempest) Set(key, value []byte, sync bool) error {
	return e.committed(sync, e.db.Set(key, value, writeOptions(sync)))
}

// Get implements Engine. Tempest returns a fresh copy, which is returned
// as is.
func (e *Tempest) Get(key, buf []byte) ([]byte, bool, error) {
	v, err := e.db.Get(key)
	switch {
	case errors.Is(err, tempest.ErrNotFound):
		return buf[:0], false, nil
	case err != nil:
		return buf[:0], false, err
	}
	return v, true, nil
}

// Delete implements Engine.
func (e *Tempest) Delete(key []byte, sync bool) error {
	return e.committed(sync, e.db.Delete(key, writeOptions(sync)))
}

// Apply implements Engine.
func (e *Tempest) Apply(b *Batch, sync bool) error {
	tb, _ := e.batches.Get().(*tempest.Batch)
	if tb == nil {
		tb = e.db.NewBatch()
	}
	defer func() {
		tb.Reset()
		e.batches.Put(tb)
	}()
	for _, op := range b.Ops {
		var err error
		if op.Delete {
			err = tb.Delete(op.Key)
		} else {
			err = tb.Set(op.Key, op.Value)
		}
		if err != nil {
			return err
		}
	}
	_, err := e.db.Apply(tb, writeOptions(sync))
	return e.committed(sync, err)
}

// NewIter implements Engine.
func (e *Tempest) NewIter(lower, upper []byte) (Iter, error) {
	return e.db.NewIter(&tempest.IterOptions{LowerBound: lower, UpperBound: upper})
}

// Settle implements Engine.
func (e *Tempest) Settle() error {
	if err := e.db.Flush(); err != nil {
		return err
	}
	return WaitQuiet("tempest", func() int { return e.db.Metrics().CompactionsInProgress })
}

// Stats implements Engine.
func (e *Tempest) Stats() EngineStats {
	m := e.db.Metrics()
	written := m.WAL.Bytes
	for _, l := range m.Levels {
		written += l.BytesWritten
	}
	return EngineStats{BytesWritten: int64(written)}
}

// SyncStats implements SyncStater.
func (e *Tempest) SyncStats() (commits, syncs uint64) {
	return e.syncedCommits.Load(), e.db.Metrics().WAL.Syncs
}

// DiskUsage implements Engine.
func (e *Tempest) DiskUsage() (int64, error) { return DirSize(e.dir) }

// Close implements Engine.
func (e *Tempest) Close() error { return e.db.Close() }

// Update implements Transactor with a read-write tempest.Txn; a commit
// that fails with tempest.ErrConflict returns ErrConflict.
func (e *Tempest) Update(sync bool, fn func(tx Txn) error) error {
	t := e.db.NewTransaction(true)
	defer t.Discard()
	if err := fn(tempestTxn{t}); err != nil {
		return err
	}
	_, err := t.Commit(writeOptions(sync))
	if errors.Is(err, tempest.ErrConflict) {
		return fmt.Errorf("%w: %w", ErrConflict, err)
	}
	return e.committed(sync, err)
}

// tempestTxn adapts a tempest.Txn to Txn.
type tempestTxn struct{ t *tempest.Txn }

func (x tempestTxn) Get(key, buf []byte) ([]byte, bool, error) {
	v, err := x.t.Get(key)
	if errors.Is(err, tempest.ErrNotFound) {
		return buf[:0], false, nil
	}
	if err != nil {
		return buf[:0], false, err
	}
	return append(buf[:0], v...), true, nil
}

func (x tempestTxn) Set(key, value []byte) error { return x.t.Set(key, value) }
