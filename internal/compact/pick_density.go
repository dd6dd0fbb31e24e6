package compact

import (
	"math/bits"
	"sort"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
)

// pickTombstoneDensity picks a compaction of a file of L1+ whose tombstone
// density DeletionCount/EntryCount is at least TombstoneDensity. Files are
// tried by decreasing density, then by level, then in key order. For a
// file and its prefix-sharing neighbors (the input set):
//
//   - if nothing below the level overlaps the set (it is bottommost) and
//     every entry of the set is a tombstone: a delete-only compaction;
//   - else, if the file has fewer than MinTombstoneFileEntries entries:
//     nothing;
//   - else, if it is bottommost: a rewrite into its own level, which drops
//     the tombstones, provided every entry is visible to the oldest
//     snapshot (LargestSeq <= oldestSnapshot), else nothing;
//   - else: a compaction into the next level (a trivial move if nothing
//     there overlaps), carrying the tombstones toward the data they
//     delete.
func (p *Picker) pickTombstoneDensity(v *manifest.Version, info LevelInfo, busy compacting, inProgress []*Compaction, oldestSnapshot base.SeqNum) *Compaction {
	if p.opts.TombstoneDensity > 1 {
		return nil
	}
	var cands []*manifest.FileMetadata
	for level := 1; level < NumLevels; level++ {
		for _, f := range v.Levels[level] {
			if !busy.has(f) && p.dense(f) && (f.EntryCount >= p.opts.MinTombstoneFileEntries || allTombstones(f)) {
				cands = append(cands, f)
			}
		}
	}
	sort.SliceStable(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		// a.del/a.entries > b.del/b.entries, exactly.
		ahi, alo := bits.Mul64(a.DeletionCount, b.EntryCount)
		bhi, blo := bits.Mul64(b.DeletionCount, a.EntryCount)
		if ahi != bhi {
			return ahi > bhi
		}
		if alo != blo {
			return alo > blo
		}
		return a.Level < b.Level
	})
	for _, f := range cands {
		if c := p.densityCompaction(v, f, info, busy, inProgress, oldestSnapshot); c != nil {
			return c
		}
	}
	return p.pickDenseL0(v, info, busy, inProgress)
}

// pickDenseL0 picks an L0 → base level compaction, as pickL0ToBase does
// but never a move, of the overlap closure of an idle L0 file that is
// dense (denseL0). Every seek positions itself in every L0 file it
// overlaps, and in a dense one steps over its tombstones to find a live
// key: a queue (append at the tail, delete at the head, seek to the head)
// pays for every tombstone of every flush until L0 reaches
// L0CompactionThreshold files. Moved down,
// the tombstones reach the data they delete, or the bottom level, where
// the density rules above drop them. A closure that would rewrite more
// than maxDenseL0Rewrite times its L0 bytes of the base level is passed
// over for the next one.
func (p *Picker) pickDenseL0(v *manifest.Version, info LevelInfo, busy compacting, inProgress []*Compaction) *Compaction {
	c := p.pickL0ToBase(v, KindTombstoneDensity, info, busy, inProgress, l0Filter{
		seed: p.denseL0,
		accept: func(c *Compaction) bool {
			return totalSize(c.OutputLevelInputs) <= maxDenseL0Rewrite*totalSize(c.Inputs)
		},
	})
	if c == nil {
		return nil
	}
	// Never a move: the rewrite is what drops the values the tombstones
	// delete (and, at the bottom, the tombstones); moved as they are,
	// they would weigh on seeks in the base level instead.
	c.Kind = KindTombstoneDensity
	c.Score = density(c.Inputs)
	return c
}

// maxDenseL0Rewrite bounds the base level bytes a dense L0 pick may
// rewrite, as a multiple of its L0 bytes. A queue's dense files overlap
// little of the base level (its keys move on), and go down cheaply; a
// flush of deletes spread over the whole key space would rewrite the
// whole base level, and waits for L0's count instead.
const maxDenseL0Rewrite = 2

// densityCompaction returns the compaction for dense file f (see
// pickTombstoneDensity), or nil if it cannot run now.
func (p *Picker) densityCompaction(v *manifest.Version, f *manifest.FileMetadata, info LevelInfo, busy compacting, inProgress []*Compaction, oldestSnapshot base.SeqNum) *Compaction {
	level := f.Level
	inputs := v.OverlapsAtomic(p.cmp, level, bound(f.Smallest.UserKey), bound(f.Largest.UserKey))
	if busy.any(inputs) {
		return nil
	}
	lo, hi := p.bounds(inputs)
	bottommost := true
	for l := level + 1; l < NumLevels && bottommost; l++ {
		bottommost = len(v.Overlaps(p.cmp, l, bound(lo.UserKey), bound(hi.UserKey))) == 0
	}
	var c *Compaction
	switch {
	case bottommost && !p.cmp.SuffixFree():
		// Under a Comparer with version suffixes a point tombstone hides
		// the older versions of its prefix, even ones written later, so
		// bottom tombstones are kept (see the root's compactionIter): a
		// rewrite would leave the file as dense as it was.
		return nil
	case bottommost && everyAllTombstones(inputs):
		c = p.newCompaction(v, KindDeleteOnly, level, level, info, inputs)
	case f.EntryCount < p.opts.MinTombstoneFileEntries:
		return nil
	case bottommost:
		for _, in := range inputs {
			if in.LargestSeq > oldestSnapshot {
				return nil
			}
		}
		c = p.newCompaction(v, KindTombstoneDensity, level, level, info, inputs)
	default:
		c = p.newCompaction(v, KindTombstoneDensity, level, level+1, info, inputs)
		if busy.any(c.OutputLevelInputs) {
			return nil
		}
	}
	if conflicts(c, inProgress) {
		return nil
	}
	c = p.finish(v, c)
	c.Score = density(inputs)
	return c
}

// denseL0 reports whether L0 file f is dense enough for pickDenseL0: it
// has at least MinTombstoneFileEntries entries, and its tombstones number
// at least TombstoneDensity times its other entries. A flush keeps every
// version, so the value a tombstone deletes is often in the same file
// (a queue's file holds each deleted entry and its tombstone): a seek
// steps over both, and counting tombstones against all entries would
// never see such a file as more than half dead.
func (p *Picker) denseL0(f *manifest.FileMetadata) bool {
	if f.EntryCount < p.opts.MinTombstoneFileEntries || f.DeletionCount == 0 || f.DeletionCount > f.EntryCount {
		return false
	}
	return float64(f.DeletionCount) >= p.opts.TombstoneDensity*float64(f.EntryCount-f.DeletionCount)
}

// dense reports whether f's tombstone density reaches TombstoneDensity.
// A file without statistics (EntryCount 0) is never dense.
func (p *Picker) dense(f *manifest.FileMetadata) bool {
	return f.EntryCount > 0 && float64(f.DeletionCount) >= p.opts.TombstoneDensity*float64(f.EntryCount)
}

// allTombstones reports whether every entry of f is known to be a
// tombstone.
func allTombstones(f *manifest.FileMetadata) bool {
	return f.EntryCount > 0 && f.DeletionCount == f.EntryCount
}

func everyAllTombstones(files []*manifest.FileMetadata) bool {
	for _, f := range files {
		if !allTombstones(f) {
			return false
		}
	}
	return true
}

// density returns the highest tombstone density among files.
func density(files []*manifest.FileMetadata) float64 {
	d := 0.0
	for _, f := range files {
		if f.EntryCount > 0 {
			d = max(d, float64(f.DeletionCount)/float64(f.EntryCount))
		}
	}
	return d
}
