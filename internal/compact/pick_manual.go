package compact

import (
	"github.com/tempestdb/tempest/internal/manifest"
)

// PickManual returns a compaction of the files of level overlapping the
// user-key range [start, end] (a nil bound leaves that side open), or nil
// if the level has none there, or if they cannot be compacted now because
// one of them, or of the files they must take along, is compacting or the
// compaction would conflict with one in progress (callers tell the two
// apart with v.Overlaps and retry once the conflicting compaction is done).
//
// The inputs are every such file plus the files it must move with (see
// manifest.Version.OverlapsAtomic). The output level is level+1; L0 goes
// to the base level, and the last level compacts into itself to drop
// garbage. MaxCompactionBytes does not apply. The result is always
// KindManual, a rewrite, even for one file overlapping nothing below:
// rewriting is what a manual compaction is for.
//
// To compact a key range through the whole tree, call it for each level
// from 0 down, repeating a level while it returns a compaction (once one
// ran, the level holds no more files in the range, except the last level,
// which is done after one).
func (p *Picker) PickManual(v *manifest.Version, level int, start, end []byte, inProgress []*Compaction) *Compaction {
	if level < 0 || level >= NumLevels {
		return nil
	}
	busy := newCompacting(inProgress)
	info := p.info(v, busy)
	inputs := v.OverlapsAtomic(p.cmp, level, start, end)
	if len(inputs) == 0 || busy.any(inputs) {
		return nil
	}
	output := level + 1
	switch {
	case level == 0:
		output = info.BaseLevel
	case level == lastLevel:
		output = lastLevel
	}
	c := p.newCompaction(v, KindManual, level, output, info, inputs)
	if busy.any(c.OutputLevelInputs) || conflicts(c, inProgress) {
		return nil
	}
	return p.finish(v, c)
}
