package benchmark

import (
	"errors"
	"math"
)

// Engine is a storage engine under test. Open is called once, on a fresh
// directory; every other method may be called from many goroutines at once
// between Open and Close.
type Engine interface {
	// Name is the engine's lower-case name ("tempest", "pebble", ...).
	Name() string
	// Open creates the database in dir with cfg.
	Open(dir string, cfg Config) error
	// Set writes key=value; sync asks for it to be durable before return.
	Set(key, value []byte, sync bool) error
	// Get appends the value of key to buf[:0] (or returns a fresh slice) and
	// reports whether key was found.
	Get(key, buf []byte) (value []byte, found bool, err error)
	// Delete removes key; sync as for Set.
	Delete(key []byte, sync bool) error
	// Apply writes b atomically.
	Apply(b *Batch, sync bool) error
	// NewIter returns an iterator over [lower, upper); a nil bound is open.
	NewIter(lower, upper []byte) (Iter, error)
	// Settle brings the engine to rest after a load: it flushes the memtable
	// where the engine can, and waits for the background work the engine
	// reports. Each adapter documents what it does.
	Settle() error
	// Stats reports what the engine knows about its own I/O. It is called
	// before Close.
	Stats() EngineStats
	// DiskUsage is the bytes the database occupies on disk. It is called
	// after Close.
	DiskUsage() (int64, error)
	// Close closes the database.
	Close() error
}

// Iter is a forward iterator. Key and Value are valid until the next
// positioning call. Error reports what stopped an iterator that returned
// false, if anything did.
type Iter interface {
	SeekGE(key []byte) bool
	Next() bool
	Key() []byte
	Value() []byte
	Error() error
	Close() error
}

// Config is what every engine is opened with, applied alike to all.
type Config struct {
	// MemTableSize is the size of one memtable (write buffer) in bytes.
	MemTableSize int64
	// CacheSize is the block cache size in bytes.
	CacheSize int64
	// Compression is "default" (the engine's own default), "none" or
	// "snappy".
	Compression string
	// SyncWrites tells the engine that the measured writes of this run are
	// synced. Engines with a per-write sync flag ignore it; Badger, whose
	// sync setting is per database, uses it (see benchmark/peers/badger.go).
	SyncWrites bool
	// Transactions says that the workload runs transactions (Transactor):
	// an engine whose conflict detection costs when unused (Badger) turns
	// it on only then.
	Transactions bool
	// EngineDefaults asks for the engine as its Open gives it with no
	// options: the fields above except SyncWrites are then ignored.
	EngineDefaults bool
	// WaitingMemTables is how many full memtables may wait for flush
	// before writes stall (beside the one being written).
	WaitingMemTables int
	// BloomBitsPerKey sizes every engine's bloom filters (engines that take
	// a false-positive rate get the rate of that many bits per key).
	BloomBitsPerKey int
	// ValueThreshold is the value length from which an engine that
	// separates values from keys stores them apart (Tempest's
	// ValueSeparationThreshold, Badger's ValueThreshold); 0 leaves each
	// engine's own.
	ValueThreshold int
	// ValueSize is the length of every value the workload writes. An
	// engine whose value separation changes its format (Pebble's) turns it
	// on only when ValueSize reaches ValueThreshold.
	ValueSize int
}

// BloomFPR is the false-positive rate of a bloom filter of bitsPerKey bits
// per key with the optimal number of probes: about 0.6185^bitsPerKey.
func BloomFPR(bitsPerKey int) float64 { return math.Pow(0.6185, float64(bitsPerKey)) }

// Describer is an Engine that can say which options it effectively ran
// with; the report shows them.
type Describer interface {
	// Effective describes the options in effect, on one line.
	Effective() string
}

// EngineStats are counters an engine reports about itself.
type EngineStats struct {
	// BytesWritten is what the engine counts as written to storage since
	// Open: WAL, flushes and compactions. Zero means unknown.
	BytesWritten int64
}

// Transactor is an Engine with read-write transactions that detect
// conflicts: the transaction workloads (txn-low, txn-high) run only on
// engines that are Transactors, and report the others as unsupported.
type Transactor interface {
	// Update runs fn in one read-write transaction and commits it, synced
	// when sync is set. An error matching ErrConflict means the
	// transaction lost to a concurrent one and may be retried.
	Update(sync bool, fn func(tx Txn) error) error
}

// Txn is a transaction's view: reads at its snapshot, buffered writes.
type Txn interface {
	// Get appends the value of key to buf[:0] and reports whether it was
	// found.
	Get(key, buf []byte) (value []byte, found bool, err error)
	Set(key, value []byte) error
}

// ErrConflict is what an adapter's Update returns (wrapped or as is) when
// its engine refused a commit for a conflict.
var ErrConflict = errors.New("benchmark: transaction conflict")

// ErrUnsupported is returned by an adapter asked for a setting its engine
// lacks.
var ErrUnsupported = errors.New("benchmark: unsupported by this engine")

// Batch is an engine-neutral write batch; adapters translate it to their
// engine's own. Set and Delete keep references to their arguments until the
// batch is reset.
type Batch struct {
	Ops []BatchOp
}

// BatchOp is one entry of a Batch; a nil Value with Delete set is a
// tombstone.
type BatchOp struct {
	Key, Value []byte
	Delete     bool
}

// Set adds key=value.
func (b *Batch) Set(key, value []byte) { b.Ops = append(b.Ops, BatchOp{Key: key, Value: value}) }

// Delete adds a tombstone for key.
func (b *Batch) Delete(key []byte) { b.Ops = append(b.Ops, BatchOp{Key: key, Delete: true}) }

// Reset empties the batch.
func (b *Batch) Reset() { clear(b.Ops); b.Ops = b.Ops[:0] }

// Len is the number of entries.
func (b *Batch) Len() int { return len(b.Ops) }
