package compact

import (
	"math/bits"
	"sort"

	"github.com/tempestdb/tempest/internal/manifest"
)

// pickLevel picks a compaction of level (>= 1, above the last level) into
// the next level. Every idle file of the level is a seed; the seed's input
// set is the file plus the neighbors sharing a boundary prefix with it.
// Seeds are tried by increasing overlap ratio: the bytes of the next level
// the set overlaps divided by the set's own bytes (RocksDB's
// kMinOverlappingRatio; the cheapest way to move bytes down, and files
// overlapping nothing become trivial moves). Ties go to the seed first in
// key order. The first seed whose files, and overlapping next-level files,
// are idle and that conflicts with no compaction in progress wins; it is
// then grown if that adds no next-level file.
func (p *Picker) pickLevel(v *manifest.Version, level int, info LevelInfo, busy compacting, inProgress []*Compaction) *Compaction {
	type candidate struct {
		inputs           []*manifest.FileMetadata
		inBytes, ovBytes uint64
	}
	var cands []candidate
	files := v.Levels[level]
	for _, f := range files {
		if busy.has(f) {
			continue
		}
		inputs := v.OverlapsAtomic(p.cmp, level, bound(f.Smallest.UserKey), bound(f.Largest.UserKey))
		if busy.any(inputs) {
			continue
		}
		lo, hi := p.bounds(inputs)
		next := v.OverlapsAtomic(p.cmp, level+1, bound(lo.UserKey), bound(hi.UserKey))
		if busy.any(next) {
			continue
		}
		cands = append(cands, candidate{inputs: inputs, inBytes: totalSize(inputs), ovBytes: totalSize(next)})
	}
	sort.SliceStable(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		// a.ov/a.in < b.ov/b.in, exactly, with an input size of 0 as 1.
		ahi, alo := bits.Mul64(a.ovBytes, max(b.inBytes, 1))
		bhi, blo := bits.Mul64(b.ovBytes, max(a.inBytes, 1))
		if ahi != bhi {
			return ahi < bhi
		}
		return alo < blo
	})
	for _, cand := range cands {
		c := p.newCompaction(v, KindDefault, level, level+1, info, cand.inputs)
		if conflicts(c, inProgress) {
			continue
		}
		return p.finish(v, p.grow(v, c, busy, inProgress))
	}
	return nil
}
