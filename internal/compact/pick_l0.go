package compact

import (
	"github.com/tempestdb/tempest/internal/manifest"
)

// minIntraL0Files is the fewest files an intra-L0 compaction merges.
const minIntraL0Files = 4

// pickL0 picks an L0 → base level compaction, or, if none can run, an
// intra-L0 compaction.
func (p *Picker) pickL0(v *manifest.Version, info LevelInfo, busy compacting, inProgress []*Compaction) *Compaction {
	if c := p.pickL0ToBase(v, KindDefault, info, busy, inProgress, l0Filter{}); c != nil {
		return c
	}
	return p.pickIntraL0(v, info, busy, inProgress)
}

// pickL0ToBase tries the L0 files from the oldest: the seed file's
// transitive overlap closure in L0 (every L0 file overlapping the range the
// set spans, so no version of a key stays behind in L0 above a newer one
// moved down), plus the overlapping base level files. The first candidate
// that shares no file with, and does not conflict with, a compaction in
// progress wins; it is then grown if that adds no base level file. The
// filter, if set, limits the files a closure may start from and the
// compactions that may win.
func (p *Picker) pickL0ToBase(v *manifest.Version, kind Kind, info LevelInfo, busy compacting, inProgress []*Compaction, f l0Filter) *Compaction {
	l0 := v.Levels[0]
	tried := make(map[*manifest.FileMetadata]bool)
	for i := len(l0) - 1; i >= 0; i-- {
		seed := l0[i]
		if busy.has(seed) || tried[seed] || (f.seed != nil && !f.seed(seed)) {
			continue
		}
		inputs := v.OverlapsAtomic(p.cmp, 0, bound(seed.Smallest.UserKey), bound(seed.Largest.UserKey))
		for _, in := range inputs {
			tried[in] = true // a closure is the closure of each of its files
		}
		if busy.any(inputs) {
			continue
		}
		c := p.newCompaction(v, kind, 0, info.BaseLevel, info, inputs)
		if busy.any(c.OutputLevelInputs) || conflicts(c, inProgress) {
			continue
		}
		c = p.finish(v, p.grow(v, c, busy, inProgress))
		if f.accept != nil && !f.accept(c) {
			continue
		}
		return c
	}
	return nil
}

// l0Filter narrows pickL0ToBase: seed, if set, says which L0 files a
// closure may start from; accept, if set, which picked compactions may
// win (the next closure is tried otherwise).
type l0Filter struct {
	seed   func(*manifest.FileMetadata) bool
	accept func(*Compaction) bool
}

// pickIntraL0 picks the oldest run of at least minIntraL0Files L0 files
// that are adjacent in L0 (seqnum) order and idle, cut from its oldest end
// to MaxCompactionBytes. Merging a run keeps the seqnum ranges of L0 files
// disjoint, so the output takes the run's place in L0 order.
func (p *Picker) pickIntraL0(v *manifest.Version, info LevelInfo, busy compacting, inProgress []*Compaction) *Compaction {
	l0 := v.Levels[0]
	end := len(l0) // l0[start+1:end] is the run; l0 is newest first
	for start := len(l0) - 1; start >= -1; start-- {
		if start >= 0 && !busy.has(l0[start]) {
			continue
		}
		run := l0[start+1 : end]
		end = start
		if len(run) < minIntraL0Files {
			continue
		}
		// Take files from the oldest end of the run: at least
		// minIntraL0Files, then more while within MaxCompactionBytes.
		n, size := 0, uint64(0)
		for n < len(run) && (n < minIntraL0Files || size+run[len(run)-1-n].Size <= p.opts.MaxCompactionBytes) {
			size += run[len(run)-1-n].Size
			n++
		}
		n = keepIngestionsWhole(l0, start+1+len(run)-n, n)
		if n < minIntraL0Files {
			continue
		}
		c := p.newCompaction(v, KindIntraL0, 0, 0, info, run[len(run)-n:])
		if conflicts(c, inProgress) {
			continue // only a shared file conflicts in L0, and the run has none
		}
		return p.finish(v, c)
	}
	return nil
}

// keepIngestionsWhole returns how many of the n files l0[i:i+n] (the
// oldest end of a run) an intra-L0 compaction may take without splitting
// the files of one ingestion, which all hold the same single seqnum: it
// drops from the newest end the files whose seqnums reach the next newer
// file's. Merging part of an ingestion with older files would give a
// file ordered before the rest of the ingestion (the same largest seqnum,
// a higher number) that holds older versions of their keys.
func keepIngestionsWhole(l0 []*manifest.FileMetadata, i, n int) int {
	for n > 0 && i > 0 && l0[i].LargestSeq >= l0[i-1].SmallestSeq {
		i++
		n--
	}
	return n
}
