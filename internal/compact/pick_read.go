package compact

import "github.com/tempestdb/tempest/internal/manifest"

// PickRead returns an L0 → base level compaction of v that conflicts with
// no compaction in inProgress, or nil, for an engine whose reads have paid
// enough for L0's files to be worth moving them down before L0 is due
// (L0 scores below 1).
//
// Every iterator seek positions itself in every L0 file that overlaps it,
// and L0 files usually span the whole key space: each is one more block to
// load per seek. An L0 compaction is picked by score once
// L0CompactionThreshold files pile up, which write-heavy workloads reach
// quickly; a workload that mostly reads may instead keep one to three
// files in L0 for good, and seek through them millions of times. The
// engine counts those seeks against the files' sizes and asks for this
// compaction once they have cost about as much as moving the files down
// (see the root package's read_compaction.go).
//
// It picks as pickL0ToBase does, with kind KindRead (a lone file that
// overlaps nothing below may become a move), and only when no score-based
// compaction is due: the caller asks after PickAt returned nil.
func (p *Picker) PickRead(v *manifest.Version, inProgress []*Compaction) *Compaction {
	if len(v.Levels[0]) == 0 {
		return nil
	}
	busy := newCompacting(inProgress)
	info := p.info(v, busy)
	return p.pickL0ToBase(v, KindRead, info, busy, inProgress, l0Filter{})
}
