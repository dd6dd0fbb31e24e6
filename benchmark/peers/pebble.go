package peers

import (
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/sstable"
	dto "github.com/prometheus/client_model/go"
	"github.com/tempestdb/tempest/benchmark"
)

// Pebble adapts github.com/cockroachdb/pebble/v2.
//
// Cache: Pebble's block cache also holds its memtables' memory, so the
// adapter sizes it CacheSize plus the memtables (1 + WaitingMemTables);
// MemTableStopWritesThreshold is 1 + WaitingMemTables. Sync: pebble.Sync or
// pebble.NoSync per write. Settle: Flush, then benchmark.WaitQuiet on
// Metrics().Compact.NumInProgress. Stats: WAL bytes plus table and blob
// bytes flushed and compacted (Metrics.Total). SyncStats: the synced
// writes the adapter saw acknowledged, and the sample count of Pebble's
// WAL fsync latency histogram (Metrics.LogWriter.FsyncLatency: one sample
// per WAL fsync, including the one that closes a log). Other options are
// Pebble's defaults, with a BloomBitsPerKey bloom filter on every level.
// Value separation: when the workload's values reach ValueThreshold,
// Pebble's own blob files (Experimental.ValueSeparationPolicy, which needs
// format FormatValueSeparation of v2.1.7; below the threshold Pebble
// keeps its default format) take values of at least that length, rewritten once half of a
// blob file is garbage (TargetGarbageRatio 0.5, as Tempest's
// BlobGCThreshold; no minimum age), with Pebble's reference depth limit
// of 10; Effective says it is on.
// EngineDefaults: Pebble's options as its Open gives them.
type Pebble struct {
	dir  string
	db   *pebble.DB
	opts *pebble.Options
	// syncedCommits counts the synced Set, Delete and Apply calls that
	// succeeded.
	syncedCommits atomic.Uint64
}

// Name implements benchmark.Engine.
func (e *Pebble) Name() string { return "pebble" }

// Open implements benchmark.Engine.
func (e *Pebble) Open(dir string, cfg benchmark.Config) error {
	opts := pebbleOptions(cfg)
	db, err := pebble.Open(dir, opts)
	if opts.Cache != nil {
		opts.Cache.Unref() // the DB holds its own reference
	}
	if err != nil {
		return err
	}
	e.dir, e.db, e.opts = dir, db, opts
	return nil
}

// pebbleOptions are the options of cfg; for EngineDefaults, Pebble's own
// (with the quiet logger alone).
func pebbleOptions(cfg benchmark.Config) *pebble.Options {
	if cfg.EngineDefaults {
		return &pebble.Options{Logger: quietPebbleLogger{}}
	}
	// Pebble charges its memtables to the block cache (Cache.Reserve):
	// with CacheSize alone, 4 MiB memtables would leave an 8 MiB cache no
	// room for blocks. The memtables (the one written and those waiting)
	// are added, so that blocks get CacheSize as in the other engines.
	memtables := int64(cfg.WaitingMemTables+1) * cfg.MemTableSize
	cache := pebble.NewCache(cfg.CacheSize + memtables) // Open's caller unrefs it
	opts := &pebble.Options{
		Cache:                       cache,
		MemTableSize:                uint64(cfg.MemTableSize),
		MemTableStopWritesThreshold: cfg.WaitingMemTables + 1,
		Logger:                      quietPebbleLogger{},
	}
	if cfg.ValueThreshold > 0 && cfg.ValueSize >= cfg.ValueThreshold {
		opts.FormatMajorVersion = pebble.FormatValueSeparation
		policy := pebble.ValueSeparationPolicy{
			Enabled: true, MinimumSize: cfg.ValueThreshold, MaxBlobReferenceDepth: 10, TargetGarbageRatio: 0.5,
		}
		opts.Experimental.ValueSeparationPolicy = func() pebble.ValueSeparationPolicy { return policy }
	}
	for i := range opts.Levels {
		opts.Levels[i].FilterPolicy = bloom.FilterPolicy(cfg.BloomBitsPerKey)
		switch cfg.Compression {
		case "none":
			opts.Levels[i].Compression = func() *sstable.CompressionProfile { return sstable.NoCompression }
		case "snappy":
			opts.Levels[i].Compression = func() *sstable.CompressionProfile { return sstable.SnappyCompression }
		}
	}
	return opts
}

// Effective implements benchmark.Describer.
func (e *Pebble) Effective() string {
	o := e.opts.Clone()
	o.EnsureDefaults()
	cache := benchmark.FormatBytes(o.CacheSize)
	if o.Cache != nil {
		cache = benchmark.FormatBytes(o.Cache.MaxSize())
	}
	bloom := "none"
	if fp := o.Levels[0].FilterPolicy; fp != nil {
		bloom = fp.Name()
	}
	separation := "off"
	if p := o.Experimental.ValueSeparationPolicy(); p.Enabled {
		separation = fmt.Sprintf("from %d bytes (blob files, garbage ratio %.2f)", p.MinimumSize, p.TargetGarbageRatio)
	}
	return fmt.Sprintf("memtable %s, stop writes at %d memtables, cache %s (memtables reserve theirs in it), bloom %s, compression %s, value separation %s",
		benchmark.FormatBytes(int64(o.MemTableSize)), o.MemTableStopWritesThreshold, cache, bloom, o.Levels[0].Compression().Name, separation)
}

func pebbleSync(sync bool) *pebble.WriteOptions {
	if sync {
		return pebble.Sync
	}
	return pebble.NoSync
}

// committed counts a synced write that succeeded, and returns err.
func (e *Pebble) committed(sync bool, err error) error {
	if sync && err == nil {
		e.syncedCommits.Add(1)
	}
	return err
}

// Set implements benchmark.Engine.
func (e *Pebble) Set(key, value []byte, sync bool) error {
	return e.committed(sync, e.db.Set(key, value, pebbleSync(sync)))
}

// Get implements benchmark.Engine.
func (e *Pebble) Get(key, buf []byte) ([]byte, bool, error) {
	v, closer, err := e.db.Get(key)
	switch {
	case errors.Is(err, pebble.ErrNotFound):
		return buf[:0], false, nil
	case err != nil:
		return buf[:0], false, err
	}
	buf = append(buf[:0], v...)
	return buf, true, closer.Close()
}

// Delete implements benchmark.Engine.
func (e *Pebble) Delete(key []byte, sync bool) error {
	return e.committed(sync, e.db.Delete(key, pebbleSync(sync)))
}

// Apply implements benchmark.Engine.
func (e *Pebble) Apply(b *benchmark.Batch, sync bool) error {
	pb := e.db.NewBatch()
	defer pb.Close()
	for _, op := range b.Ops {
		var err error
		if op.Delete {
			err = pb.Delete(op.Key, nil)
		} else {
			err = pb.Set(op.Key, op.Value, nil)
		}
		if err != nil {
			return err
		}
	}
	return e.committed(sync, e.db.Apply(pb, pebbleSync(sync)))
}

// NewIter implements benchmark.Engine.
func (e *Pebble) NewIter(lower, upper []byte) (benchmark.Iter, error) {
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return nil, err
	}
	return pebbleIter{it}, nil
}

type pebbleIter struct{ *pebble.Iterator }

func (it pebbleIter) Value() []byte { return it.Iterator.Value() }

// Settle implements benchmark.Engine.
func (e *Pebble) Settle() error {
	if err := e.db.Flush(); err != nil {
		return err
	}
	return benchmark.WaitQuiet("pebble", func() int { return int(e.db.Metrics().Compact.NumInProgress) })
}

// Stats implements benchmark.Engine.
func (e *Pebble) Stats() benchmark.EngineStats {
	m := e.db.Metrics()
	t := m.Total() // its TableBytesFlushed includes the WAL bytes
	return benchmark.EngineStats{BytesWritten: int64(t.TableBytesFlushed + t.TableBytesCompacted + t.BlobBytesFlushed + t.BlobBytesCompacted)}
}

// SyncStats implements benchmark.SyncStater.
func (e *Pebble) SyncStats() (commits, syncs uint64) {
	commits = e.syncedCommits.Load()
	if h := e.db.Metrics().LogWriter.FsyncLatency; h != nil {
		var m dto.Metric
		if err := h.Write(&m); err == nil && m.Histogram != nil {
			syncs = m.Histogram.GetSampleCount()
		}
	}
	return commits, syncs
}

// DiskUsage implements benchmark.Engine.
func (e *Pebble) DiskUsage() (int64, error) { return benchmark.DirSize(e.dir) }

// Close implements benchmark.Engine.
func (e *Pebble) Close() error { return e.db.Close() }

// quietPebbleLogger drops Pebble's informational messages, which would
// interleave with the progress lines; errors still go to stderr.
type quietPebbleLogger struct{}

func (quietPebbleLogger) Infof(format string, args ...any) {}
func (quietPebbleLogger) Errorf(format string, args ...any) {
	pebble.DefaultLogger.Errorf(format, args...)
}
func (quietPebbleLogger) Fatalf(format string, args ...any) {
	pebble.DefaultLogger.Fatalf(format, args...)
}
