package compact

import (
	"sort"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
)

// Picker chooses compactions. It is pure: its answers depend only on its
// arguments and options, it does no I/O and keeps no state between calls,
// so it is safe for concurrent use.
type Picker struct {
	cmp  *base.Comparer
	opts Options
}

// NewPicker returns a picker ordering keys with cmp (nil means
// base.DefaultComparer). opts are copied, with defaults filled in.
func NewPicker(cmp *base.Comparer, opts Options) *Picker {
	if cmp == nil {
		cmp = base.DefaultComparer
	}
	opts.EnsureDefaults()
	return &Picker{cmp: cmp, opts: opts}
}

// Options returns the picker's options, defaults filled in.
func (p *Picker) Options() Options { return p.opts }

// Pick returns the most urgent compaction of v that conflicts (Overlaps)
// with no compaction in inProgress, or nil. It assumes no open snapshot:
// it is PickAt(v, inProgress, base.SeqNumMax).
func (p *Picker) Pick(v *manifest.Version, inProgress []*Compaction) *Compaction {
	return p.PickAt(v, inProgress, base.SeqNumMax)
}

// PickAt is Pick for an engine whose oldest open snapshot reads at
// oldestSnapshot (base.SeqNumMax if there is none). A tombstone-density
// compaction of files into their own level only drops tombstones if no
// snapshot still sees past them, so it is picked only for files whose
// every entry is visible to the oldest snapshot (LargestSeq <=
// oldestSnapshot); otherwise it would rewrite the same file again and
// again.
//
// Order: the level with the highest score >= 1 (ties: the lower level),
// falling back to the next level when none of its compactions can run;
// for L0, an intra-L0 compaction when L0 cannot compact into the base
// level. Then, if no score-based compaction can run, tombstone density.
func (p *Picker) PickAt(v *manifest.Version, inProgress []*Compaction, oldestSnapshot base.SeqNum) *Compaction {
	busy := newCompacting(inProgress)
	info := p.info(v, busy)
	levels := make([]int, 0, NumLevels)
	for level := 0; level < lastLevel; level++ {
		if info.Scores[level] >= 1 {
			levels = append(levels, level)
		}
	}
	sort.SliceStable(levels, func(i, j int) bool { return info.Scores[levels[i]] > info.Scores[levels[j]] })
	for _, level := range levels {
		var c *Compaction
		if level == 0 {
			c = p.pickL0(v, info, busy, inProgress)
		} else {
			c = p.pickLevel(v, level, info, busy, inProgress)
		}
		if c != nil {
			c.Score = info.Scores[level]
			return c
		}
	}
	return p.pickTombstoneDensity(v, info, busy, inProgress, oldestSnapshot)
}

// newCompaction returns a compaction of inputs from start into output,
// with OutputLevelInputs the atomic overlap of the inputs in the output level (none
// when start = output), and its bounds set.
func (p *Picker) newCompaction(v *manifest.Version, kind Kind, start, output int, info LevelInfo, inputs []*manifest.FileMetadata) *Compaction {
	c := &Compaction{
		Kind:        kind,
		StartLevel:  start,
		OutputLevel: output,
		Inputs:      inputs,
		BaseLevel:   info.BaseLevel,
		cmp:         p.cmp,
	}
	c.Smallest, c.Largest = p.bounds(inputs)
	if output != start {
		c.OutputLevelInputs = v.OverlapsAtomic(p.cmp, output, bound(c.Smallest.UserKey), bound(c.Largest.UserKey))
		c.Smallest, c.Largest = p.bounds(inputs, c.OutputLevelInputs)
	}
	return c
}

// finish fills in the fields that depend on the final inputs: grandparents,
// whether the compaction is bottommost, the output file size, and whether
// a default compaction is a trivial move.
func (p *Picker) finish(v *manifest.Version, c *Compaction) *Compaction {
	lo, hi := bound(c.Smallest.UserKey), bound(c.Largest.UserKey)
	if c.Kind != KindIntraL0 && c.Kind != KindDeleteOnly && c.OutputLevel < lastLevel {
		c.Grandparents = v.Overlaps(p.cmp, c.OutputLevel+1, lo, hi)
	}
	c.IsBottommost = c.Kind != KindIntraL0
	for level := c.OutputLevel + 1; c.IsBottommost && level < NumLevels; level++ {
		if len(v.Overlaps(p.cmp, level, lo, hi)) > 0 {
			c.IsBottommost = false
		}
	}
	if c.Kind == KindIntraL0 {
		c.TargetFileSize = max(totalSize(c.Inputs), 1)
	} else {
		c.TargetFileSize = p.TargetFileSize(c.OutputLevel, c.BaseLevel)
	}
	if (c.Kind == KindDefault || c.Kind == KindTombstoneDensity || c.Kind == KindRead) && p.isTrivialMove(c) {
		c.Kind = KindMove
	}
	return c
}

// isTrivialMove reports whether c can move its one input down instead of
// rewriting it: nothing in the output level overlaps it, and it does not
// overlap more than ten output files' worth of grandparents (a move would
// otherwise set up an expensive compaction later; rewriting splits it at
// grandparent boundaries).
func (p *Picker) isTrivialMove(c *Compaction) bool {
	return len(c.Inputs) == 1 && len(c.OutputLevelInputs) == 0 && c.StartLevel != c.OutputLevel &&
		totalSize(c.Grandparents) <= mulSat(c.TargetFileSize, maxGrandparentOverlapFiles)
}

// maxGrandparentOverlapFiles bounds the grandparent overlap of a trivial
// move, in output target file sizes.
const maxGrandparentOverlapFiles = 10

// grow adds start-level files to c while that adds no output-level file,
// keeps c within MaxCompactionBytes and conflicts with no compaction in
// progress: the inputs are re-expanded to the range c already spans with
// its outputs. It returns c.
func (p *Picker) grow(v *manifest.Version, c *Compaction, busy compacting, inProgress []*Compaction) *Compaction {
	if c.StartLevel == c.OutputLevel || len(c.OutputLevelInputs) == 0 {
		return c
	}
	inputs := v.OverlapsAtomic(p.cmp, c.StartLevel, bound(c.Smallest.UserKey), bound(c.Largest.UserKey))
	if len(inputs) <= len(c.Inputs) || busy.any(inputs) {
		return c
	}
	lo, hi := p.bounds(inputs)
	outputs := v.OverlapsAtomic(p.cmp, c.OutputLevel, bound(lo.UserKey), bound(hi.UserKey))
	if len(outputs) != len(c.OutputLevelInputs) || totalSize(inputs)+totalSize(outputs) > p.opts.MaxCompactionBytes {
		return c
	}
	grown := *c
	grown.Inputs = inputs
	grown.Smallest, grown.Largest = p.bounds(inputs, outputs)
	if conflicts(&grown, inProgress) {
		return c
	}
	return &grown
}

// bounds returns the smallest and largest internal keys of the files.
func (p *Picker) bounds(lists ...[]*manifest.FileMetadata) (smallest, largest base.InternalKey) {
	first := true
	for _, files := range lists {
		for _, f := range files {
			if first || p.cmp.CompareInternal(f.Smallest, smallest) < 0 {
				smallest = f.Smallest
			}
			if first || p.cmp.CompareInternal(f.Largest, largest) > 0 {
				largest = f.Largest
			}
			first = false
		}
	}
	return smallest, largest
}

// conflicts reports whether c conflicts with a compaction in progress.
func conflicts(c *Compaction, inProgress []*Compaction) bool {
	for _, ip := range inProgress {
		if Overlaps(c, ip) {
			return true
		}
	}
	return false
}

// bound returns a user key as a range bound: never nil, since nil means
// "unbounded" to manifest.Version.Overlaps (a decoded empty key may be nil).
func bound(k []byte) []byte {
	if k == nil {
		return []byte{}
	}
	return k
}
