package compact

import (
	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
)

// NumLevels is the number of LSM levels, L0 to L6.
const NumLevels = manifest.NumLevels

// lastLevel is the bottom level.
const lastLevel = NumLevels - 1

// LevelInfo is the shape the picker wants the LSM to have, and how far each
// level is from it. See doc.go for the rules.
type LevelInfo struct {
	// BaseLevel is the level L0 compacts into; the levels between L0 and it
	// are empty.
	BaseLevel int
	// Scores: how urgently each level needs compacting; >= 1 means over
	// target. Levels above the base level (except L0) and the last level
	// score 0.
	Scores [NumLevels]float64
	// MaxBytes are the size targets of the base level and below; 0 above
	// the base level. MaxBytes[0] is LBaseMaxBytes, the L0 size giving a
	// score of 1 (L0 is also scored by its file count).
	MaxBytes [NumLevels]uint64
	// Bytes are the sizes of the levels, and CompactingBytes the parts of
	// them that are inputs of compactions in progress.
	Bytes, CompactingBytes [NumLevels]uint64
	// L0Files is the number of L0 files; StopWrites is
	// L0Files >= L0StopWritesThreshold.
	L0Files    int
	StopWrites bool
}

// Info returns the level targets and scores of v given the compactions in
// progress.
func (p *Picker) Info(v *manifest.Version, inProgress []*Compaction) LevelInfo {
	return p.info(v, newCompacting(inProgress))
}

func (p *Picker) info(v *manifest.Version, busy compacting) LevelInfo {
	var li LevelInfo
	l0Busy := 0
	for level, files := range v.Levels {
		for _, f := range files {
			li.Bytes[level] += f.Size
			if busy.has(f) {
				li.CompactingBytes[level] += f.Size
				if level == 0 {
					l0Busy++
				}
			}
		}
	}
	li.L0Files = len(v.Levels[0])
	li.StopWrites = li.L0Files >= p.opts.L0StopWritesThreshold
	li.BaseLevel, li.MaxBytes = p.levelTargets(li.Bytes)
	li.MaxBytes[0] = p.opts.LBaseMaxBytes

	idle := li.L0Files - l0Busy
	li.Scores[0] = max(float64(idle)/float64(p.opts.L0CompactionThreshold),
		float64(li.Bytes[0]-li.CompactingBytes[0])/float64(p.opts.LBaseMaxBytes))
	for level := li.BaseLevel; level < lastLevel; level++ {
		li.Scores[level] = float64(li.Bytes[level]-li.CompactingBytes[level]) / float64(li.MaxBytes[level])
	}
	return li
}

// levelTargets returns the base level and the size targets of the levels
// from it down, given the level sizes (dynamic level sizes, as RocksDB's
// level_compaction_dynamic_level_bytes; see doc.go).
func (p *Picker) levelTargets(bytes [NumLevels]uint64) (baseLevel int, maxBytes [NumLevels]uint64) {
	lbase := p.opts.LBaseMaxBytes
	mult := uint64(p.opts.LevelMultiplier)
	first, largest := 0, uint64(0)
	for level := 1; level < NumLevels; level++ {
		if bytes[level] == 0 {
			continue
		}
		if first == 0 {
			first = level
		}
		largest = max(largest, bytes[level])
	}
	if first == 0 {
		maxBytes[lastLevel] = lbase
		return lastLevel, maxBytes
	}
	// cur is the target of the first non-empty level if the largest level
	// were the last one, at its current size.
	cur := largest
	for level := lastLevel - 1; level >= first; level-- {
		cur /= mult
	}
	baseLevel = first
	var baseSize uint64
	if cur <= lbase/mult {
		baseSize = lbase/mult + 1
	} else {
		for baseLevel > 1 && cur > lbase {
			baseLevel--
			cur /= mult
		}
		baseSize = max(min(cur, lbase), 1)
	}
	size := baseSize
	for level := baseLevel; level < NumLevels; level++ {
		if level > baseLevel {
			size = mulSat(size, mult)
		}
		// No level's target is below the base target: an hourglass shape
		// would make L1+ scores crowd out L0's.
		maxBytes[level] = max(size, lbase)
	}
	return baseLevel, maxBytes
}

// TargetFileSize returns the output file size for a compaction into level
// when the base level is baseLevel: Options.TargetFileSize at L0 and the
// base level, doubling with each level below, at most 64 times as large.
func (p *Picker) TargetFileSize(level, baseLevel int) uint64 {
	shift := min(max(level-baseLevel, 0), 6)
	return mulSat(p.opts.TargetFileSize, 1<<shift)
}

// compacting is the set of files that are inputs of compactions in
// progress.
type compacting map[base.FileNum]bool

func newCompacting(inProgress []*Compaction) compacting {
	busy := make(compacting)
	for _, c := range inProgress {
		for _, f := range c.Inputs {
			busy[f.FileNum] = true
		}
		for _, f := range c.OutputLevelInputs {
			busy[f.FileNum] = true
		}
	}
	return busy
}

func (b compacting) has(f *manifest.FileMetadata) bool { return b[f.FileNum] }

// any reports whether one of files is compacting.
func (b compacting) any(files []*manifest.FileMetadata) bool {
	for _, f := range files {
		if b[f.FileNum] {
			return true
		}
	}
	return false
}
