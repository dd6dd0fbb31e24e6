package compact

// Options tune the picker. The zero value of a field means its default;
// EnsureDefaults fills them in.
type Options struct {
	// L0CompactionThreshold is the number of L0 files that gives L0 a score
	// of 1. Default 4.
	L0CompactionThreshold int
	// L0StopWritesThreshold is the number of L0 files at which the engine
	// stops writes until compactions catch up. The picker only reports it
	// (LevelInfo.StopWrites). Default 20.
	L0StopWritesThreshold int
	// LBaseMaxBytes is the target size of the base level, and the L0 size
	// that gives L0 a score of 1. Default 64 MiB.
	LBaseMaxBytes uint64
	// LevelMultiplier is the size ratio between adjacent levels below the
	// base level. Default 10; values below 2 mean the default.
	LevelMultiplier int
	// TargetFileSize is the size of the output files of a compaction into
	// the base level; it doubles with every level below it (see
	// Picker.TargetFileSize). Default 2 MiB.
	TargetFileSize uint64
	// MaxCompactionBytes caps the input bytes of one compaction where the
	// rules allow: growing a compaction never exceeds it, but the smallest
	// correct compaction (a file, every file it must move with, and their
	// overlaps in the output level) is picked even if it is larger, and
	// manual compactions ignore it. Default 25 × TargetFileSize.
	MaxCompactionBytes uint64
	// TombstoneDensity is the fraction DeletionCount/EntryCount at or above
	// which a file is compacted even though no level is over its target.
	// Values above 1 disable such compactions. Default 0.5.
	TombstoneDensity float64
	// MinTombstoneFileEntries is the number of entries below which a file
	// is not compacted for its tombstone density (rewriting a small file
	// gains little), except that a bottommost file of nothing but
	// tombstones is always deleted. Default 1000.
	MinTombstoneFileEntries uint64
}

// Defaults of Options.
const (
	DefaultL0CompactionThreshold   = 4
	DefaultL0StopWritesThreshold   = 20
	DefaultLBaseMaxBytes           = 64 << 20
	DefaultLevelMultiplier         = 10
	DefaultTargetFileSize          = 2 << 20
	DefaultMaxCompactionFiles      = 25 // MaxCompactionBytes in target files
	DefaultTombstoneDensity        = 0.5
	DefaultMinTombstoneFileEntries = 1000
)

// EnsureDefaults replaces zero (and out-of-range) fields by their
// defaults.
func (o *Options) EnsureDefaults() {
	if o.L0CompactionThreshold <= 0 {
		o.L0CompactionThreshold = DefaultL0CompactionThreshold
	}
	if o.L0StopWritesThreshold <= 0 {
		o.L0StopWritesThreshold = DefaultL0StopWritesThreshold
	}
	if o.LBaseMaxBytes == 0 {
		o.LBaseMaxBytes = DefaultLBaseMaxBytes
	}
	if o.LevelMultiplier < 2 {
		o.LevelMultiplier = DefaultLevelMultiplier
	}
	if o.TargetFileSize == 0 {
		o.TargetFileSize = DefaultTargetFileSize
	}
	if o.MaxCompactionBytes == 0 {
		o.MaxCompactionBytes = mulSat(o.TargetFileSize, DefaultMaxCompactionFiles)
	}
	if !(o.TombstoneDensity > 0) { // also NaN
		o.TombstoneDensity = DefaultTombstoneDensity
	}
	if o.MinTombstoneFileEntries == 0 {
		o.MinTombstoneFileEntries = DefaultMinTombstoneFileEntries
	}
}

// mulSat returns a*b, or the largest uint64 if that overflows.
func mulSat(a, b uint64) uint64 {
	if a != 0 && b > ^uint64(0)/a {
		return ^uint64(0)
	}
	return a * b
}
