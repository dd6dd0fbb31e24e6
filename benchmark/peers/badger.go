package peers

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
	"github.com/tempestdb/tempest/benchmark"
)

// Badger adapts github.com/dgraph-io/badger/v4.
//
// Sync: Badger's SyncWrites is one setting for the whole database, not a
// flag per write, so the adapter opens it with SyncWrites set to
// Config.SyncWrites: every workload runs in its own database, and all its
// measured writes share one sync setting (--sync, or the sync workload),
// so each measured write is synced exactly when the other engines sync
// it. The unmeasured load of a synced run is synced too (a few large
// batches). Writes are single-operation transactions (DB.Update) with
// conflict detection off, as the other engines detect no conflicts.
// Settle: Badger has no call that flushes the memtable; it does nothing.
// Stats: Badger reports no total of bytes written; the OS figure stands
// for it. Iterators do not prefetch values (they are small and kept in the
// LSM: values below the value threshold). Config: MemTableSize,
// CacheSize (BlockCacheSize), NumMemtables = 1 + WaitingMemTables, the
// bloom false-positive rate of BloomBitsPerKey, Compression, and the
// value threshold (ValueThreshold, the one Tempest separates values at,
// so the value log is compared with Tempest's blob files like with like),
// capped at Badger's largest batch (15% of the memtable) so that small
// memtables open. Other options are Badger's defaults. EngineDefaults: DefaultOptions with SyncWrites.
type Badger struct {
	dir  string
	db   *badger.DB
	opts badger.Options
}

// Name implements benchmark.Engine.
func (e *Badger) Name() string { return "badger" }

// Open implements benchmark.Engine.
func (e *Badger) Open(dir string, cfg benchmark.Config) error {
	opts := badgerOptions(dir, cfg)
	db, err := badger.Open(opts)
	if err != nil {
		return err
	}
	e.dir, e.db, e.opts = dir, db, opts
	return nil
}

// badgerOptions are the options of cfg; for EngineDefaults, Badger's
// DefaultOptions with only the logging quieted and SyncWrites set.
func badgerOptions(dir string, cfg benchmark.Config) badger.Options {
	opts := badger.DefaultOptions(dir).
		WithLoggingLevel(badger.WARNING).
		WithSyncWrites(cfg.SyncWrites).
		WithDetectConflicts(cfg.Transactions)
	if cfg.EngineDefaults {
		return opts
	}
	opts = opts.WithMemTableSize(cfg.MemTableSize).
		WithBlockCacheSize(cfg.CacheSize).
		WithNumMemtables(cfg.WaitingMemTables + 1).
		WithBloomFalsePositive(benchmark.BloomFPR(cfg.BloomBitsPerKey))
	threshold := opts.ValueThreshold
	if cfg.ValueThreshold > 0 {
		threshold = int64(cfg.ValueThreshold) // Tempest's: values at least this long go to the value log
	}
	opts = opts.WithValueThreshold(min(threshold, 15*cfg.MemTableSize/100))
	switch cfg.Compression {
	case "none":
		opts = opts.WithCompression(options.None)
	case "snappy":
		opts = opts.WithCompression(options.Snappy)
	}
	return opts
}

// Effective implements benchmark.Describer.
func (e *Badger) Effective() string {
	o := e.opts
	return fmt.Sprintf("memtable %s, %d memtables in all, block cache %s, index cache %s, bloom fpr %.4f, compression %v, value threshold %d, detect conflicts %v",
		benchmark.FormatBytes(o.MemTableSize), o.NumMemtables, benchmark.FormatBytes(o.BlockCacheSize),
		benchmark.FormatBytes(o.IndexCacheSize), o.BloomFalsePositive, o.Compression, o.ValueThreshold, o.DetectConflicts)
}

// Update implements benchmark.Transactor with DB.Update, conflict
// detection on (Config.Transactions); badger.ErrConflict returns
// benchmark.ErrConflict. sync is the database's setting.
func (e *Badger) Update(sync bool, fn func(tx benchmark.Txn) error) error {
	err := e.db.Update(func(txn *badger.Txn) error { return fn(badgerTxn{txn}) })
	if errors.Is(err, badger.ErrConflict) {
		return fmt.Errorf("%w: %w", benchmark.ErrConflict, err)
	}
	return err
}

// badgerTxn adapts a badger.Txn to benchmark.Txn.
type badgerTxn struct{ t *badger.Txn }

func (x badgerTxn) Get(key, buf []byte) ([]byte, bool, error) {
	item, err := x.t.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return buf[:0], false, nil
	}
	if err != nil {
		return buf[:0], false, err
	}
	v, err := item.ValueCopy(buf[:0])
	return v, err == nil, err
}

// Set copies key and value: Badger keeps the slices until the commit.
func (x badgerTxn) Set(key, value []byte) error {
	return x.t.Set(append([]byte(nil), key...), append([]byte(nil), value...))
}

// Set implements benchmark.Engine; sync is the database's setting.
func (e *Badger) Set(key, value []byte, sync bool) error {
	return e.db.Update(func(txn *badger.Txn) error { return txn.Set(key, value) })
}

// Get implements benchmark.Engine.
func (e *Badger) Get(key, buf []byte) ([]byte, bool, error) {
	found := false
	err := e.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(key)
		if err != nil {
			return err
		}
		found = true
		return item.Value(func(v []byte) error {
			buf = append(buf[:0], v...)
			return nil
		})
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return buf[:0], false, nil
	}
	return buf, found, err
}

// Delete implements benchmark.Engine; sync is the database's setting.
func (e *Badger) Delete(key []byte, sync bool) error {
	return e.db.Update(func(txn *badger.Txn) error { return txn.Delete(key) })
}

// Apply implements benchmark.Engine: one transaction.
func (e *Badger) Apply(b *benchmark.Batch, sync bool) error {
	return e.db.Update(func(txn *badger.Txn) error {
		for _, op := range b.Ops {
			var err error
			if op.Delete {
				err = txn.Delete(op.Key)
			} else {
				err = txn.Set(op.Key, op.Value)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// NewIter implements benchmark.Engine. Badger iterators have no upper
// bound; the adapter checks it.
func (e *Badger) NewIter(lower, upper []byte) (benchmark.Iter, error) {
	txn := e.db.NewTransaction(false)
	opts := badger.DefaultIteratorOptions
	opts.PrefetchValues = false
	return &badgerIter{txn: txn, it: txn.NewIterator(opts), upper: upper}, nil
}

type badgerIter struct {
	txn   *badger.Txn
	it    *badger.Iterator
	upper []byte
	value []byte
	err   error
}

func (i *badgerIter) valid() bool {
	return i.it.Valid() && (i.upper == nil || bytes.Compare(i.it.Item().Key(), i.upper) < 0)
}

func (i *badgerIter) SeekGE(key []byte) bool {
	i.it.Seek(key)
	return i.valid()
}

func (i *badgerIter) Next() bool {
	i.it.Next()
	return i.valid()
}

func (i *badgerIter) Key() []byte { return i.it.Item().Key() }

func (i *badgerIter) Value() []byte {
	err := i.it.Item().Value(func(v []byte) error {
		i.value = append(i.value[:0], v...)
		return nil
	})
	if err != nil && i.err == nil {
		i.err = err
	}
	return i.value
}

func (i *badgerIter) Error() error { return i.err }

func (i *badgerIter) Close() error {
	i.it.Close()
	i.txn.Discard()
	return i.err
}

// Settle implements benchmark.Engine: Badger cannot be asked to flush.
func (e *Badger) Settle() error { return nil }

// Stats implements benchmark.Engine: unknown.
func (e *Badger) Stats() benchmark.EngineStats { return benchmark.EngineStats{} }

// DiskUsage implements benchmark.Engine.
func (e *Badger) DiskUsage() (int64, error) { return benchmark.DirSize(e.dir) }

// Close implements benchmark.Engine.
func (e *Badger) Close() error { return e.db.Close() }
