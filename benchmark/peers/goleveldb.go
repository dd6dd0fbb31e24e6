package peers

import (
	"fmt"
	"sync"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/filter"
	"github.com/syndtr/goleveldb/leveldb/iterator"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/util"
	"github.com/tempestdb/tempest/benchmark"
)

// GoLevelDB adapts github.com/syndtr/goleveldb.
//
// Sync: opt.WriteOptions{Sync} per write. Settle: goleveldb has no flush
// call; CompactRange writes the memtable out when the range overlaps it,
// so Settle compacts the one-key range of a key of the last batch loaded
// (in the memtable): the memtable goes to L0, and the tables holding that
// key are compacted down (with a random load, all of L0 into L1). Stats:
// the storage write counter of the "leveldb.iostats" property (WAL, tables,
// manifest). Other options are goleveldb's defaults, with a
// BloomBitsPerKey bloom filter. EngineDefaults: nil options.
type GoLevelDB struct {
	dir  string
	db   *leveldb.DB
	opts *opt.Options
	// lastLoadedMu guards lastLoaded: workers apply batches concurrently.
	lastLoadedMu sync.Mutex
	// lastLoaded is a key of the last batch applied.
	lastLoaded []byte
}

// Name implements benchmark.Engine.
func (e *GoLevelDB) Name() string { return "goleveldb" }

// Open implements benchmark.Engine.
func (e *GoLevelDB) Open(dir string, cfg benchmark.Config) error {
	o := goLevelDBOptions(cfg)
	db, err := leveldb.OpenFile(dir, o)
	if err != nil {
		return err
	}
	e.dir, e.db, e.opts = dir, db, o
	return nil
}

// goLevelDBOptions are the options of cfg: nil (the defaults) for
// EngineDefaults. goleveldb always keeps one memtable waiting for flush
// at most, as WaitingMemTables 1 asks.
func goLevelDBOptions(cfg benchmark.Config) *opt.Options {
	if cfg.EngineDefaults {
		return nil
	}
	o := &opt.Options{
		WriteBuffer:        int(cfg.MemTableSize),
		BlockCacheCapacity: int(cfg.CacheSize),
		Filter:             filter.NewBloomFilter(cfg.BloomBitsPerKey),
	}
	switch cfg.Compression {
	case "none":
		o.Compression = opt.NoCompression
	case "snappy":
		o.Compression = opt.SnappyCompression
	}
	return o
}

// Effective implements benchmark.Describer.
func (e *GoLevelDB) Effective() string {
	bloom := "none"
	if f := e.opts.GetFilter(); f != nil {
		bloom = f.Name()
	}
	return fmt.Sprintf("memtable %s, 1 waiting, cache %s, bloom %s, compression %v",
		benchmark.FormatBytes(int64(e.opts.GetWriteBuffer())), benchmark.FormatBytes(int64(e.opts.GetBlockCacheCapacity())),
		bloom, e.opts.GetCompression())
}

var (
	levelSync   = &opt.WriteOptions{Sync: true}
	levelNoSync = &opt.WriteOptions{}
)

func levelWriteOptions(sync bool) *opt.WriteOptions {
	if sync {
		return levelSync
	}
	return levelNoSync
}

// Set implements benchmark.Engine.
func (e *GoLevelDB) Set(key, value []byte, sync bool) error {
	return e.db.Put(key, value, levelWriteOptions(sync))
}

// Get implements benchmark.Engine. goleveldb returns a fresh copy.
func (e *GoLevelDB) Get(key, buf []byte) ([]byte, bool, error) {
	v, err := e.db.Get(key, nil)
	switch {
	case err == leveldb.ErrNotFound:
		return buf[:0], false, nil
	case err != nil:
		return buf[:0], false, err
	}
	return v, true, nil
}

// Delete implements benchmark.Engine.
func (e *GoLevelDB) Delete(key []byte, sync bool) error {
	return e.db.Delete(key, levelWriteOptions(sync))
}

// Apply implements benchmark.Engine. It notes a key for Settle.
func (e *GoLevelDB) Apply(b *benchmark.Batch, sync bool) error {
	var lb leveldb.Batch
	for _, op := range b.Ops {
		if op.Delete {
			lb.Delete(op.Key)
		} else {
			lb.Put(op.Key, op.Value)
		}
	}
	if len(b.Ops) > 0 {
		e.lastLoadedMu.Lock()
		e.lastLoaded = append(e.lastLoaded[:0], b.Ops[0].Key...)
		e.lastLoadedMu.Unlock()
	}
	return e.db.Write(&lb, levelWriteOptions(sync))
}

// NewIter implements benchmark.Engine.
func (e *GoLevelDB) NewIter(lower, upper []byte) (benchmark.Iter, error) {
	return levelIter{e.db.NewIterator(&util.Range{Start: lower, Limit: upper}, nil)}, nil
}

type levelIter struct{ iterator.Iterator }

func (it levelIter) SeekGE(key []byte) bool { return it.Seek(key) }
func (it levelIter) Close() error {
	it.Release()
	return it.Error()
}

// Settle implements benchmark.Engine.
func (e *GoLevelDB) Settle() error {
	e.lastLoadedMu.Lock()
	key := append([]byte(nil), e.lastLoaded...)
	e.lastLoadedMu.Unlock()
	if key == nil {
		return nil
	}
	return e.db.CompactRange(util.Range{Start: key, Limit: key})
}

// Stats implements benchmark.Engine.
func (e *GoLevelDB) Stats() benchmark.EngineStats {
	s, err := e.db.GetProperty("leveldb.iostats")
	if err != nil {
		return benchmark.EngineStats{}
	}
	var read, write float64
	if _, err := fmt.Sscanf(s, "Read(MB):%f Write(MB):%f", &read, &write); err != nil {
		return benchmark.EngineStats{}
	}
	return benchmark.EngineStats{BytesWritten: int64(write * (1 << 20))}
}

// DiskUsage implements benchmark.Engine.
func (e *GoLevelDB) DiskUsage() (int64, error) { return benchmark.DirSize(e.dir) }

// Close implements benchmark.Engine.
func (e *GoLevelDB) Close() error { return e.db.Close() }
