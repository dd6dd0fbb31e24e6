package tempest

import (
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/compact"
	"github.com/tempestdb/tempest/internal/memtable"
	"github.com/tempestdb/tempest/journal"
	"github.com/tempestdb/tempest/vfs"
	"github.com/tempestdb/tempest/wal"
)

// Comparer orders user keys and splits them into a logical prefix and a
// version suffix. See DefaultComparer and FixedSuffixComparer.
type Comparer = base.Comparer

// DefaultComparer orders keys bytewise; keys have no version suffix.
var DefaultComparer = base.DefaultComparer

// FixedSuffixComparer treats the last n bytes of each key as a version
// suffix sorted descending (newest first). Reads return one version per
// prefix: the first visible one in that order.
func FixedSuffixComparer(n int) *Comparer { return base.FixedSuffixComparer(n) }

// Limits on input sizes. Larger inputs are rejected with ErrInvalidArgument.
const (
	// MaxKeySizeLimit is the largest MaxKeySize an Options may set.
	MaxKeySizeLimit = 1 << 20
	// MaxValueSizeLimit is the largest MaxValueSize an Options may set.
	MaxValueSizeLimit = 1 << 30
	// MaxBatchSizeLimit is the largest MaxBatchSize an Options may set:
	// a batch must fit a memtable of MaxMemTableSize.
	MaxBatchSizeLimit = MaxMemTableSize / 2
	// DefaultMemTableSize is the MemTableSize of an Options that sets
	// neither it nor MemoryBudget.
	DefaultMemTableSize = 8 << 20
	// defaultLimitBase is the memtable size whose limits (MaxKeySize,
	// MaxValueSize, MaxBatchSize) such an Options gets.
	defaultLimitBase = 64 << 20
	// MinMemTableSize is the smallest allowed MemTableSize.
	MinMemTableSize = 64 << 10
	// MaxMemTableSize is the largest allowed MemTableSize (arena offsets are 32-bit).
	MaxMemTableSize = 1 << 31
)

// Options configure a DB. The zero value of every field means its default.
// A nil *Options means all defaults.
type Options struct {
	// FS is the file system. Default: vfs.Default (the operating system's).
	FS vfs.FS
	// Comparer orders keys. Default: DefaultComparer. It is recorded in the
	// manifest; reopening with a different one fails with ErrInvalidArgument.
	Comparer *Comparer
	// Merger resolves merge operands (DB.Merge, Batch.Merge). Default:
	// none, and Merge fails with ErrInvalidArgument. Its name is recorded
	// in the manifest of a database of FormatVersion4 or later opened with
	// it; reopening such a database with another Merger, or none, fails
	// with ErrInvalidArgument. It cannot be used with a VisibilityFilter.
	Merger *Merger
	// ReadOnly opens the database without writing to its directory: the
	// WALs are replayed into memory (no flush, no new WAL), nothing is
	// recorded in the manifest, no compaction runs, no file is deleted,
	// and no directory or lock file is created. Only read access is
	// needed, so it works on a read-only file system and for a user who
	// cannot write the directory. Several read-only opens, in this
	// process or in others, may share a database; a read-write open
	// excludes them and they exclude it (ErrLocked). Every write method
	// returns ErrReadOnly. See docs/design.md, "Read-only open".
	ReadOnly bool

	// FormatVersion is the format version of a database Open creates
	// (FormatVersion1 to FormatNewest; 0 selects FormatNewest). An
	// existing database keeps its own version, whatever this says, until
	// RatchetFormatVersion raises it.
	FormatVersion uint32

	// MemTableSize is the arena size of each memtable in bytes. When the
	// active memtable is full it is frozen and flushed to an L0 SST, and a
	// new WAL file is started. A batch too large for an
	// empty memtable gets a memtable sized for it. Default
	// DefaultMemTableSize, 8 MiB: a memtable whose skiplist stays close to
	// the processor's caches takes random writes faster than a larger one
	// (docs/decisions.md).
	MemTableSize int
	// MaxImmutableMemTables is how many frozen memtables may wait for flush
	// before writers stall. Default 4.
	MaxImmutableMemTables int
	// WriteStallTimeout bounds how long a writer waits in a stall before
	// giving up with an error. Default 0: wait until the flush completes,
	// the DB fails or is closed.
	WriteStallTimeout time.Duration

	// MaxKeySize is the largest user key accepted. Default 64 KiB (at most
	// an eighth of a MemTableSize set by the user or a MemoryBudget).
	MaxKeySize int
	// MaxValueSize is the largest value accepted. Default 16 MiB (at most
	// a quarter of a MemTableSize set by the user or a MemoryBudget).
	MaxValueSize int
	// MaxBatchSize is the largest encoded batch accepted, at most
	// MaxBatchSizeLimit. Default 32 MiB (half of a MemTableSize set by the
	// user or a MemoryBudget).
	MaxBatchSize int

	// TxnConflictHistoryBytes caps the memory of the history of committed
	// writes that transaction commits are validated against (see
	// txn_conflicts.go). The history keeps only what an open read-write
	// transaction may still need, and drops its oldest writes beyond the
	// cap: a transaction whose snapshot is older than the oldest write
	// dropped fails to commit with ErrConflict. A transaction's own read
	// and write sets may take at most a quarter of it (maxTxnBytes);
	// beyond that its calls fail with ErrInvalidArgument. Default 16 MiB.
	TxnConflictHistoryBytes int64

	// L0CompactionThreshold is the L0 file count at which L0 is compacted
	// into the base level. Default 4.
	L0CompactionThreshold int
	// L0StopWritesThreshold is the L0 file count at which writers stall
	// until compactions catch up. Default 20.
	L0StopWritesThreshold int
	// L0SlowdownWritesThreshold is the L0 file count at which writes are
	// slowed (see DelayedWriteRate). Default: midway between
	// L0CompactionThreshold and L0StopWritesThreshold (12 with their
	// defaults). It must lie in [L0CompactionThreshold,
	// L0StopWritesThreshold]; equal to L0StopWritesThreshold, it disables
	// the L0 slowdown.
	L0SlowdownWritesThreshold int
	// PendingCompactionBytesSlowdown and PendingCompactionBytesStop are the
	// compaction debts (Metrics.CompactionDebt: L0 bytes plus the bytes by
	// which levels exceed their targets) at which writes are slowed, and
	// at which they stop until compactions catch up. Defaults: a slowdown
	// at max(16 GiB, 2 × L0StopWritesThreshold × MemTableSize) — above
	// the debt L0 alone reaches at its stop threshold — and a stop at 4×
	// the slowdown. If only one is set, the other follows by the same
	// factor 4. Slowdown must not exceed Stop; equal, they disable the
	// debt slowdown; math.MaxUint64 as Stop disables the debt stop.
	PendingCompactionBytesSlowdown uint64
	PendingCompactionBytesStop     uint64
	// DelayedWriteRate is the write rate, in bytes per second of memtable
	// data, at which a slowdown starts; it falls linearly to a sixteenth of
	// it as L0 or the debt approaches its stop threshold. Default 16 MiB/s.
	// The L0 and debt thresholds neither slow nor stop writes when
	// DisableAutomaticCompactions is set.
	DelayedWriteRate int64
	// LBaseMaxBytes is the target size of the base level (the level L0
	// compacts into). Default 64 MiB.
	LBaseMaxBytes uint64
	// LevelMultiplier is the size ratio between adjacent levels. Default 10.
	LevelMultiplier int
	// TargetFileSize is the size at which compaction output files are cut.
	// Default 2 MiB.
	TargetFileSize uint64
	// MaxConcurrentCompactions bounds the compactions running at once.
	// Default 2.
	MaxConcurrentCompactions int
	// DisableAutomaticCompactions turns off background compaction; DB.Compact
	// still works.
	DisableAutomaticCompactions bool
	// ReadCompactionBytesPerSeek and ReadCompactionMinSeeks set when
	// iterator seeks make L0 worth moving to the base level before it is
	// due by file count (read-triggered compactions, see docs/design.md):
	// each L0 file allows max(size/ReadCompactionBytesPerSeek,
	// ReadCompactionMinSeeks) seeks. Defaults 64 and 10,000; a negative
	// ReadCompactionMinSeeks turns read-triggered compactions off.
	ReadCompactionBytesPerSeek int
	ReadCompactionMinSeeks     int

	// MaxOpenFiles bounds the file descriptors the DB keeps open: its
	// table and blob readers plus its other files (LOCK, WALs, manifests,
	// directory handles, and the SSTs and blob files that a flush and each
	// concurrent compaction write: 9 + 2×MaxConcurrentCompactions in all,
	// 8 + MaxConcurrentCompactions without value separation). The blob
	// reader cache keeps an eighth of the rest (at least 1), the table
	// cache the others, at least 4; each closes the least recently
	// used readers that no read holds; a read that needs one more while
	// every reader is held opens it anyway, and the cache shrinks back as
	// reads finish. At Open it is lowered, with a warning in the log, to
	// the process's descriptor limit (the soft RLIMIT_NOFILE on Unix)
	// minus 16 left to the rest of the process. Default 1000, minimum
	// MinMaxOpenFiles.
	MaxOpenFiles int

	// ValueSeparationThreshold is the value length from which a flush
	// moves a value out of its SST into a blob file, leaving a handle in
	// its place (key–value separation; docs/design.md, "Blob files").
	// Only databases of FormatVersion5 and later separate values. Default
	// 1024 (docs/decisions.md); a negative value turns separation off.
	ValueSeparationThreshold int
	// BlobGCThreshold is the live fraction below which a blob file is
	// rewritten: compactions that meet its values copy them to a new blob
	// file, and one that no compaction touches is rewritten on its own,
	// so the space of overwritten and deleted values comes back with no
	// manual call. Default 0.5; a negative value turns rewriting off.
	BlobGCThreshold float64

	// Cache is the block cache; several DBs may share one. Default: a cache
	// of CacheSize bytes for this DB alone.
	Cache *Cache
	// CacheSize is the size of the DB's own block cache when Cache is nil.
	// Default 8 MiB.
	CacheSize int64
	// MemoryBudget, when set, is one budget for memtables and cached
	// blocks together: the DB's block cache gets the whole budget as its
	// capacity (unless CacheSize is set or Cache is shared), and every
	// memtable in use, active or frozen, reserves its arena in the cache,
	// so blocks get what the memtables leave and get it back when a
	// memtable is flushed. MemTableSize defaults to a quarter of the budget
	// divided by MaxImmutableMemTables+1, within [MinMemTableSize,
	// MaxMemTableSize] (64 KiB below a budget of 1.25 MiB with the
	// defaults). Memtables are not squeezed: if (MaxImmutableMemTables+1)
	// × MemTableSize exceeds the budget (below 320 KiB with the defaults),
	// the cache holds no blocks while that many exist. Metrics reports the
	// total (MemoryBytes).
	MemoryBudget int64

	// Compression compresses SST blocks. Default Snappy.
	Compression Compression
	// LevelCompression overrides Compression per level (DefaultCompression
	// entries use Compression), e.g. Zstd for the bottom levels.
	LevelCompression [NumLevels]Compression

	// BlockSize is the target size of SST data blocks. Default 4096.
	BlockSize int
	// BlockRestartInterval is the number of keys between restart points in
	// a data block. Default 16.
	BlockRestartInterval int
	// BloomFalsePositiveRate is the bloom filter's target false-positive
	// rate. Default 0.01. A negative value disables filters.
	BloomFalsePositiveRate float64

	// ManifestGrowthBaseline and ManifestGrowthFactor control manifest
	// rotation: a new manifest file (starting with a snapshot) is written once
	// the current one reaches max(baseline, size at its start × factor).
	// Defaults 64 MiB and 2.
	ManifestGrowthBaseline uint64
	ManifestGrowthFactor   uint64

	// SeqNumLeaseStep and FileNumLeaseStep are how far ahead of use the
	// manifest records the last sequence number and the next file number,
	// so that neither can go back after a restart. Defaults 1<<20 and 1000.
	SeqNumLeaseStep  uint64
	FileNumLeaseStep uint64

	// Scheduler runs background work (flushes). Default: a goroutine per
	// task. Tests inject a deterministic one.
	Scheduler Scheduler
	// Clock tells time. Default: the system clock.
	Clock Clock
	// RandomSeed seeds the engine's internal randomness (skiplist heights).
	// Default 0 is a fixed seed: runs are reproducible.
	RandomSeed uint64
	// Logger receives diagnostic messages. Default: discard.
	Logger *slog.Logger
	// VisibilityFilter, if set, hides entries from reads and lets
	// compactions drop them (TTL expiry, MVCC garbage collection). See
	// TTLFilter and KeepVersionsFilter. (Not the bloom filters, which
	// BloomFalsePositiveRate sizes.) Default: none.
	VisibilityFilter VisibilityFilter
	// EventListener is notified of flushes, compactions, stalls, file
	// creation and deletion, and errors. Default: none.
	EventListener *EventListener
}

// WriteOptions control a single write.
type WriteOptions struct {
	// Sync makes the write durable (fsynced to the WAL) before it is
	// acknowledged. Without it, an acknowledged write has reached the
	// operating system and survives a process crash, but power loss may
	// take it (and only writes after the last synced one).
	Sync bool
}

var (
	// Sync is the WriteOptions of a durable write. A nil *WriteOptions means Sync.
	Sync = &WriteOptions{Sync: true}
	// NoSync is the WriteOptions of a write that survives a process crash
	// but not power loss.
	NoSync = &WriteOptions{Sync: false}
)

func (o *WriteOptions) sync() bool { return o == nil || o.Sync }

// IterOptions bound an iterator: it yields keys k with
// LowerBound <= k < UpperBound. A nil bound is unbounded.
type IterOptions struct {
	LowerBound []byte
	UpperBound []byte
	// Prefix, if not empty, limits the iterator further to the keys that
	// begin with these bytes, in both directions and within the bounds.
	// An empty Prefix is no limit.
	Prefix []byte
	// LogicalPrefix declares Prefix a whole logical key (a Comparer
	// prefix, such as a row without its version suffix): the iterator then
	// yields only the keys whose Comparer prefix equals Prefix (the
	// newest visible version of that one logical key), and skips the
	// memtables and SSTs whose prefix filters rule it out. Under
	// DefaultComparer that is the key equal to Prefix. Without it, a
	// Prefix is a byte prefix that may span many logical keys, and no
	// source is skipped.
	LogicalPrefix bool
	// KeysOnly makes positioning never read a blob file: a value stored
	// in one is read only when Value or ValueAndErr asks for it, and
	// ValueLen gives its length without reading it. Inline values are
	// there as always.
	KeysOnly bool
}

// budgetMemTableSize is the MemTableSize a MemoryBudget implies: a quarter
// of the budget over the memtables that may exist at once, clamped to the
// legal range (a user-set MemTableSize is never clamped: outside the
// range it is refused). With four immutable memtables, a budget below
// 1.25 MiB gives MinMemTableSize, and one below 320 KiB memtables that
// may take the whole budget: they are not squeezed further (see
// MemoryBudget).
func budgetMemTableSize(budget int64, immutable int) int {
	size := budget / 4 / int64(immutable+1)
	return int(min(max(size, MinMemTableSize), MaxMemTableSize, math.MaxInt))
}

// ensureDefaults returns a validated copy of o with defaults filled in.
func (o *Options) ensureDefaults() (*Options, error) {
	var c Options
	if o != nil {
		c = *o
	}
	if c.FS == nil {
		c.FS = vfs.Default
	}
	if c.Comparer == nil {
		c.Comparer = DefaultComparer
	}
	if err := validateComparer(c.Comparer); err != nil {
		return nil, err
	}
	setDefault(&c.MaxImmutableMemTables, 4)
	if c.MemoryBudget < 0 || c.CacheSize < 0 {
		return nil, base.InvalidArgumentf("negative MemoryBudget or CacheSize")
	}
	if c.MemoryBudget > 0 {
		if c.MemTableSize == 0 && c.MaxImmutableMemTables > 0 {
			c.MemTableSize = budgetMemTableSize(c.MemoryBudget, c.MaxImmutableMemTables)
		}
		if c.CacheSize == 0 && c.Cache == nil {
			c.CacheSize = c.MemoryBudget
		}
	}
	// The limits on keys, values and batches follow a MemTableSize the
	// user chose (or a MemoryBudget implies), and otherwise those of a 64
	// MiB one: a batch that does not fit an empty memtable gets one of its
	// own, sized for it (makeRoomForWrite).
	limitBase := c.MemTableSize
	if limitBase == 0 {
		limitBase = defaultLimitBase
	}
	setDefault(&c.MemTableSize, DefaultMemTableSize)
	setDefault(&c.CacheSize, 8<<20)
	if c.Compression == DefaultCompression {
		c.Compression = SnappyCompression
	}
	for i, lc := range c.LevelCompression {
		if lc == DefaultCompression {
			c.LevelCompression[i] = c.Compression
		}
	}
	if c.MemTableSize < MinMemTableSize || int64(c.MemTableSize) > MaxMemTableSize {
		return nil, base.InvalidArgumentf("MemTableSize %d outside [%d, %d]", c.MemTableSize, MinMemTableSize, int64(MaxMemTableSize))
	}
	setDefault(&c.MaxKeySize, min(64<<10, limitBase/8))
	setDefault(&c.MaxValueSize, min(16<<20, limitBase/4))
	setDefault(&c.MaxBatchSize, limitBase/2)
	setDefault(&c.TxnConflictHistoryBytes, 16<<20)
	setDefault(&c.L0CompactionThreshold, 4)
	setDefault(&c.L0StopWritesThreshold, max(20, 2*c.L0CompactionThreshold))
	setDefault(&c.L0SlowdownWritesThreshold, c.L0CompactionThreshold+(c.L0StopWritesThreshold-c.L0CompactionThreshold)/2)
	c.setPendingCompactionBytesDefaults()
	setDefault(&c.DelayedWriteRate, defaultDelayedWriteRate)
	setDefault(&c.LBaseMaxBytes, 64<<20)
	setDefault(&c.LevelMultiplier, 10)
	setDefault(&c.TargetFileSize, 2<<20)
	setDefault(&c.MaxConcurrentCompactions, 2)
	setDefault(&c.MaxOpenFiles, 1000)
	setDefault(&c.ValueSeparationThreshold, defaultValueSeparationThreshold)
	setDefault(&c.BlobGCThreshold, 0.5)
	setDefault(&c.ReadCompactionBytesPerSeek, 64)
	setDefault(&c.ReadCompactionMinSeeks, 10_000)
	setDefault(&c.BlockSize, 4096)
	setDefault(&c.BlockRestartInterval, 16)
	setDefault(&c.BloomFalsePositiveRate, 0.01)
	setDefault(&c.ManifestGrowthBaseline, 64<<20)
	setDefault(&c.ManifestGrowthFactor, 2)
	setDefault(&c.SeqNumLeaseStep, 1<<20)
	setDefault(&c.FileNumLeaseStep, 1000)
	if c.Scheduler == nil {
		c.Scheduler = GoScheduler{}
	}
	if c.Clock == nil {
		c.Clock = SystemClock{}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.EventListener == nil {
		c.EventListener = &EventListener{}
	}
	return &c, c.validate()
}

func (o *Options) validate() error {
	switch {
	case o.FormatVersion > FormatNewest:
		return base.InvalidArgumentf("FormatVersion %d is newer than this binary's newest, %d", o.FormatVersion, FormatNewest)
	case o.Merger != nil && (o.Merger.Name == "" || o.Merger.Merge == nil):
		return base.InvalidArgumentf("Merger needs a Name and a Merge function")
	case o.Merger != nil && o.VisibilityFilter != nil:
		return base.InvalidArgumentf("Merger and VisibilityFilter cannot be used together")
	case o.MaxImmutableMemTables < 1:
		return base.InvalidArgumentf("MaxImmutableMemTables %d < 1", o.MaxImmutableMemTables)
	case o.WriteStallTimeout < 0:
		return base.InvalidArgumentf("negative WriteStallTimeout")
	case o.MaxKeySize < 1 || o.MaxKeySize > MaxKeySizeLimit:
		return base.InvalidArgumentf("MaxKeySize %d outside [1, %d]", o.MaxKeySize, MaxKeySizeLimit)
	case o.MaxValueSize < 1 || o.MaxValueSize > MaxValueSizeLimit:
		return base.InvalidArgumentf("MaxValueSize %d outside [1, %d]", o.MaxValueSize, MaxValueSizeLimit)
	case o.TxnConflictHistoryBytes < minTxnConflictHistoryBytes:
		return base.InvalidArgumentf("TxnConflictHistoryBytes %d < %d", o.TxnConflictHistoryBytes, minTxnConflictHistoryBytes)
	case o.MaxBatchSize < batchHeaderLen || o.MaxBatchSize > MaxBatchSizeLimit:
		return base.InvalidArgumentf("MaxBatchSize %d outside [%d, %d]", o.MaxBatchSize, batchHeaderLen, MaxBatchSizeLimit)
	case memtable.EntrySize(o.MaxKeySize, o.MaxValueSize)+batchHeaderLen+32 > o.MaxBatchSize:
		return base.InvalidArgumentf("MaxBatchSize %d cannot hold one entry of MaxKeySize+MaxValueSize", o.MaxBatchSize)
	case o.L0CompactionThreshold < 1 || o.L0StopWritesThreshold <= o.L0CompactionThreshold:
		return base.InvalidArgumentf("need 1 <= L0CompactionThreshold (%d) < L0StopWritesThreshold (%d)", o.L0CompactionThreshold, o.L0StopWritesThreshold)
	case o.L0SlowdownWritesThreshold < o.L0CompactionThreshold || o.L0SlowdownWritesThreshold > o.L0StopWritesThreshold:
		return base.InvalidArgumentf("need L0CompactionThreshold (%d) <= L0SlowdownWritesThreshold (%d) <= L0StopWritesThreshold (%d)",
			o.L0CompactionThreshold, o.L0SlowdownWritesThreshold, o.L0StopWritesThreshold)
	case o.PendingCompactionBytesSlowdown > o.PendingCompactionBytesStop:
		return base.InvalidArgumentf("PendingCompactionBytesSlowdown (%d) > PendingCompactionBytesStop (%d)",
			o.PendingCompactionBytesSlowdown, o.PendingCompactionBytesStop)
	case o.DelayedWriteRate < 1:
		return base.InvalidArgumentf("DelayedWriteRate %d < 1", o.DelayedWriteRate)
	case o.LevelMultiplier < 2:
		return base.InvalidArgumentf("LevelMultiplier %d < 2", o.LevelMultiplier)
	case o.TargetFileSize < 4096 || o.LBaseMaxBytes < 4096:
		return base.InvalidArgumentf("TargetFileSize and LBaseMaxBytes must be at least 4 KiB")
	case o.MaxConcurrentCompactions < 1:
		return base.InvalidArgumentf("MaxConcurrentCompactions %d < 1", o.MaxConcurrentCompactions)
	case o.MaxOpenFiles < MinMaxOpenFiles:
		return base.InvalidArgumentf("MaxOpenFiles %d < %d", o.MaxOpenFiles, MinMaxOpenFiles)
	case o.BlobGCThreshold > 1:
		return base.InvalidArgumentf("BlobGCThreshold %v > 1", o.BlobGCThreshold)
	case o.ReadCompactionBytesPerSeek < 1:
		return base.InvalidArgumentf("ReadCompactionBytesPerSeek %d < 1", o.ReadCompactionBytesPerSeek)
	case o.Compression > ZstdCompression:
		return base.InvalidArgumentf("unknown Compression %d", o.Compression)
	case o.BlockSize < 256 || o.BlockSize > 1<<24:
		return base.InvalidArgumentf("BlockSize %d outside [256, 16 MiB]", o.BlockSize)
	case o.BlockRestartInterval < 1 || o.BlockRestartInterval > 1<<16:
		return base.InvalidArgumentf("BlockRestartInterval %d outside [1, 65536]", o.BlockRestartInterval)
	case o.BloomFalsePositiveRate >= 1:
		return base.InvalidArgumentf("BloomFalsePositiveRate %v >= 1", o.BloomFalsePositiveRate)
	case o.ManifestGrowthFactor < 2:
		return base.InvalidArgumentf("ManifestGrowthFactor %d < 2", o.ManifestGrowthFactor)
	case o.SeqNumLeaseStep > 1<<40 || o.FileNumLeaseStep > 1<<40:
		return base.InvalidArgumentf("lease steps must be at most 2^40")
	}
	return nil
}

// setPendingCompactionBytesDefaults fills in the debt thresholds; see
// Options.PendingCompactionBytesSlowdown. Requires MemTableSize and
// L0StopWritesThreshold.
func (o *Options) setPendingCompactionBytesDefaults() {
	const factor = 4
	switch slow, stop := &o.PendingCompactionBytesSlowdown, &o.PendingCompactionBytesStop; {
	case *slow == 0 && *stop == 0:
		l0 := 2 * uint64(max(o.L0StopWritesThreshold, 0)) * uint64(max(o.MemTableSize, 0))
		*slow = max(16<<30, l0)
		*stop = mulSat(*slow, factor)
	case *stop == 0:
		*stop = mulSat(*slow, factor)
	case *slow == 0:
		*slow = max(*stop/factor, 1)
	}
}

// mulSat returns a×b, or math.MaxUint64 if that overflows.
func mulSat(a, b uint64) uint64 {
	if b != 0 && a > math.MaxUint64/b {
		return math.MaxUint64
	}
	return a * b
}

// setDefault sets *p to v if it holds the zero value.
func setDefault[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}

func validateComparer(c *Comparer) error {
	if c.Name == "" || c.Split == nil || c.ComparePrefix == nil || c.CompareSuffix == nil {
		return base.InvalidArgumentf("Comparer needs a Name, Split, ComparePrefix and CompareSuffix")
	}
	return nil
}

func (o *Options) pickerOptions() compact.Options {
	p := compact.Options{
		L0CompactionThreshold: o.L0CompactionThreshold,
		L0StopWritesThreshold: o.L0StopWritesThreshold,
		LBaseMaxBytes:         o.LBaseMaxBytes,
		LevelMultiplier:       o.LevelMultiplier,
		TargetFileSize:        o.TargetFileSize,
	}
	p.EnsureDefaults()
	return p
}

// walOptions sizes the WAL's preallocation: a WAL holds about a
// memtable's worth of records, so it grows by at most a quarter of
// MemTableSize at a time. A small memtable's log then neither reserves
// megabytes of disk it never fills nor leaves recovery a long tail of
// zeros to read after a crash.
func (o *Options) walOptions() wal.Options {
	return wal.Options{Preallocate: min(wal.DefaultPreallocate, int64(o.MemTableSize)/4)}
}

// journalConfig is the manifest journal's configuration. The manifest's
// state chooses the framing of the files its journal
// creates by the database's format version (manifest's LegacyFraming);
// Legacy here frames the first file of a database Open creates, by the
// version it is created at.
func (o *Options) journalConfig() journal.Config {
	return journal.Config{GrowthFactor: o.ManifestGrowthFactor, GrowthBaseline: o.ManifestGrowthBaseline,
		Legacy: !rulesOf(o.newDBFormat()).recordFraming}
}

func (o *Options) String() string {
	return fmt.Sprintf("memtable=%d imm=%d block=%d restart=%d bloom=%v", o.MemTableSize,
		o.MaxImmutableMemTables, o.BlockSize, o.BlockRestartInterval, o.BloomFalsePositiveRate)
}
