package peers

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tempestdb/tempest/benchmark"
	bolt "go.etcd.io/bbolt"
)

// Bbolt adapts go.etcd.io/bbolt, an mmap B+tree: the read-side reference
// of the comparison, not an LSM peer (the ratio targets are against the
// best LSM).
//
// It has no memtable and no block cache (reads go through the operating
// system's page cache), so Config's sizes, bloom bits and compression do
// not apply. Sync: bbolt's NoSync is one setting of the database, so, as
// for Badger, the adapter sets it from Config.SyncWrites: every measured
// write of a run is synced exactly when the other engines sync it. Each
// Set, Delete and Apply is one read-write transaction (bbolt has one
// writer at a time). Iterators hold a read transaction until closed.
// Settle: nothing to do. Stats: bbolt reports no bytes written; the OS
// figure stands for it. Other options are bbolt's defaults.
type Bbolt struct {
	dir string
	db  *bolt.DB
}

// bboltBucket holds every key.
var bboltBucket = []byte("kv")

// Name implements benchmark.Engine.
func (e *Bbolt) Name() string { return "bbolt" }

// Open implements benchmark.Engine.
func (e *Bbolt) Open(dir string, cfg benchmark.Config) error {
	db, err := bolt.Open(filepath.Join(dir, "bbolt.db"), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return err
	}
	db.NoSync = !cfg.SyncWrites
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bboltBucket)
		return err
	}); err != nil {
		return fmt.Errorf("%w (close: %v)", err, db.Close())
	}
	e.dir, e.db = dir, db
	return nil
}

// Set implements benchmark.Engine; sync is the database's setting.
func (e *Bbolt) Set(key, value []byte, sync bool) error {
	return e.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bboltBucket).Put(key, value) })
}

// Get implements benchmark.Engine.
func (e *Bbolt) Get(key, buf []byte) ([]byte, bool, error) {
	found := false
	err := e.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bboltBucket).Get(key)
		if v != nil {
			found, buf = true, append(buf[:0], v...)
		}
		return nil
	})
	return buf, found, err
}

// Delete implements benchmark.Engine; sync is the database's setting.
func (e *Bbolt) Delete(key []byte, sync bool) error {
	return e.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bboltBucket).Delete(key) })
}

// Apply implements benchmark.Engine: the batch is one transaction.
func (e *Bbolt) Apply(b *benchmark.Batch, sync bool) error {
	return e.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bboltBucket)
		for _, op := range b.Ops {
			var err error
			if op.Delete {
				err = bk.Delete(op.Key)
			} else {
				err = bk.Put(op.Key, op.Value)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// NewIter implements benchmark.Engine.
func (e *Bbolt) NewIter(lower, upper []byte) (benchmark.Iter, error) {
	tx, err := e.db.Begin(false)
	if err != nil {
		return nil, err
	}
	return &bboltIter{tx: tx, c: tx.Bucket(bboltBucket).Cursor(), lower: lower, upper: upper}, nil
}

// Settle implements benchmark.Engine: a B+tree has no background work.
func (e *Bbolt) Settle() error { return nil }

// Stats implements benchmark.Engine: bbolt does not count bytes written.
func (e *Bbolt) Stats() benchmark.EngineStats { return benchmark.EngineStats{} }

// DiskUsage implements benchmark.Engine.
func (e *Bbolt) DiskUsage() (int64, error) { return benchmark.DirSize(e.dir) }

// Close implements benchmark.Engine.
func (e *Bbolt) Close() error { return e.db.Close() }

// Effective implements benchmark.Describer.
func (e *Bbolt) Effective() string {
	return fmt.Sprintf("mmap B+tree: no memtable, no block cache (the OS page cache), no bloom, no compression; NoSync %v, page size %d",
		e.db.NoSync, os.Getpagesize())
}

// bboltIter is a cursor within one read transaction.
type bboltIter struct {
	tx           *bolt.Tx
	c            *bolt.Cursor
	lower, upper []byte
	k, v         []byte
}

func (it *bboltIter) set(k, v []byte) bool {
	if k == nil || (it.upper != nil && bytes.Compare(k, it.upper) >= 0) {
		it.k, it.v = nil, nil
		return false
	}
	it.k, it.v = k, v
	return true
}

func (it *bboltIter) SeekGE(key []byte) bool {
	if it.lower != nil && bytes.Compare(key, it.lower) < 0 {
		key = it.lower
	}
	return it.set(it.c.Seek(key))
}

func (it *bboltIter) Next() bool {
	if it.k == nil {
		return false
	}
	return it.set(it.c.Next())
}

func (it *bboltIter) Key() []byte   { return it.k }
func (it *bboltIter) Value() []byte { return it.v }
func (it *bboltIter) Error() error  { return nil }
func (it *bboltIter) Close() error  { return it.tx.Rollback() }
