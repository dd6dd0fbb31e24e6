package compact

import (
	"slices"
	"sort"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
	"github.com/tempestdb/tempest/internal/rangedel"
)

// DeleteHint is a range tombstone held by a live file of the LSM: it
// deletes every entry whose user key k has Start <= k < End (in the
// Comparer's physical order) and whose seqnum is below Seq. File is the
// file that holds it. See doc.go ("Delete-only compaction hints").
type DeleteHint struct {
	Start, End []byte
	Seq        base.SeqNum
	File       base.FileNum
}

// PickDeleteOnly returns a delete-only compaction removing files that the
// hints delete for every reader, or nil. A file qualifies when it is idle
// (no compaction in progress uses it) and every key of its range
// [Smallest, Largest] (the Largest user key excluded when it is an
// exclusive sentinel) is covered by hints with a seqnum in
// (f.LargestSeq, top], where top is the largest seqnum of the snapshot
// stripe of f.SmallestSeq: so every entry of f is older than a tombstone
// covering it, and no snapshot lies between the two (a snapshot s with
// f.SmallestSeq <= s < tombstone seqnum could still read f).
//
// Hints whose File is not in v are ignored: only a tombstone recorded in
// the manifest may justify removing a file. snapshots are the seqnums of
// the open snapshots (any order; duplicates allowed).
//
// The compaction removes files of one level (KindDeleteOnly, StartLevel =
// OutputLevel, no Outputs): the level with the most such bytes, ties to
// the level nearer L0. Its files are the qualifying files of the level, in
// level order, except those that would make it conflict (Overlaps) with a
// compaction in progress: the largest group of consecutive ones that does
// not is taken.
func (p *Picker) PickDeleteOnly(v *manifest.Version, inProgress []*Compaction, hints []DeleteHint, snapshots []base.SeqNum) *Compaction {
	set := p.hintSet(v, hints)
	if set.Empty() {
		return nil
	}
	if !slices.IsSorted(snapshots) {
		snapshots = slices.Sorted(slices.Values(snapshots))
	}
	busy := newCompacting(inProgress)
	var best *Compaction
	var bestBytes uint64
	var info LevelInfo
	haveInfo := false
	for level := 0; level < NumLevels; level++ {
		files := p.deletable(v, level, set, busy, snapshots)
		if len(files) == 0 {
			continue
		}
		if !haveInfo {
			info, haveInfo = p.info(v, busy), true
		}
		c := p.deleteOnlyGroup(v, level, info, files, inProgress)
		if c == nil {
			continue
		}
		if n := totalSize(c.Inputs); best == nil || n > bestBytes {
			best, bestBytes = c, n
		}
	}
	if best == nil {
		return nil
	}
	best = p.finish(v, best)
	best.Score = density(best.Inputs)
	return best
}

// hintSet fragments the hints held by files of v.
func (p *Picker) hintSet(v *manifest.Version, hints []DeleteHint) *rangedel.Set {
	if len(hints) == 0 {
		return nil
	}
	live := make(map[base.FileNum]bool) // the hints' files: live or not
	for _, h := range hints {
		live[h.File] = false
	}
	for _, files := range v.Levels {
		for _, f := range files {
			if _, ok := live[f.FileNum]; ok {
				live[f.FileNum] = true
			}
		}
	}
	ts := make([]rangedel.Tombstone, 0, len(hints))
	for _, h := range hints {
		if live[h.File] {
			ts = append(ts, rangedel.Tombstone{Start: h.Start, End: h.End, Seq: h.Seq})
		}
	}
	return rangedel.Build(p.cmp, ts)
}

// deletable returns the idle files of level that set deletes for every
// reader (see PickDeleteOnly), in level order.
func (p *Picker) deletable(v *manifest.Version, level int, set *rangedel.Set, busy compacting, snapshots []base.SeqNum) []*manifest.FileMetadata {
	spans := set.Spans()
	var out []*manifest.FileMetadata
	seen := make(map[base.FileNum]bool)
	// Each maximal run of adjacent spans is one stretch of covered keys; a
	// file inside one lies in the stretch's logical range, which Overlaps
	// finds (a superset: it compares prefixes, inclusively).
	for i := 0; i < len(spans); {
		j := i + 1
		for j < len(spans) && p.cmp.Compare(spans[j-1].End, spans[j].Start) == 0 {
			j++
		}
		for _, f := range v.Overlaps(p.cmp, level, bound(spans[i].Start), bound(spans[j-1].End)) {
			if !seen[f.FileNum] && !busy.has(f) && p.covered(f, spans[i:j], snapshots) {
				seen[f.FileNum] = true
				out = append(out, f)
			}
		}
		i = j
	}
	if level == 0 {
		// Back to L0 order (newest first).
		out = slices.DeleteFunc(slices.Clone(v.Levels[0]), func(f *manifest.FileMetadata) bool { return !seen[f.FileNum] })
	}
	return out
}

// covered reports whether the spans, adjacent and sorted, delete every
// entry of f for every reader: every key of f's range lies in a span with
// a seqnum in (f.LargestSeq, top of f.SmallestSeq's snapshot stripe].
func (p *Picker) covered(f *manifest.FileMetadata, spans []rangedel.Span, snapshots []base.SeqNum) bool {
	stripe := sort.Search(len(snapshots), func(i int) bool { return snapshots[i] >= f.SmallestSeq })
	limit := base.SeqNumMax
	if stripe < len(snapshots) {
		limit = snapshots[stripe]
	}
	if limit <= f.LargestSeq {
		return false // a snapshot sees part of f, or the window is empty
	}
	// The span holding f's smallest key, then each next one until f's
	// largest key is inside.
	i := sort.Search(len(spans), func(i int) bool { return p.cmp.Compare(spans[i].End, f.Smallest.UserKey) > 0 })
	if i == len(spans) || p.cmp.Compare(spans[i].Start, f.Smallest.UserKey) > 0 {
		return false
	}
	exclusive := f.Largest.IsExclusiveSentinel()
	for ; i < len(spans); i++ {
		sp := &spans[i]
		// Seqs are descending: the newest at or below limit must delete
		// f's newest entry.
		k := sort.Search(len(sp.Seqs), func(k int) bool { return sp.Seqs[k] <= limit })
		if k == len(sp.Seqs) || sp.Seqs[k] <= f.LargestSeq {
			return false
		}
		c := p.cmp.Compare(f.Largest.UserKey, sp.End)
		if c < 0 || (c == 0 && exclusive) {
			return true
		}
	}
	return false // f extends past the last adjacent span
}

// deleteOnlyGroup returns a delete-only compaction of the largest group of
// consecutive files (of files, in level order) that conflicts with no
// compaction in progress, or nil.
func (p *Picker) deleteOnlyGroup(v *manifest.Version, level int, info LevelInfo, files []*manifest.FileMetadata, inProgress []*Compaction) *Compaction {
	if c := p.newCompaction(v, KindDeleteOnly, level, level, info, files); !conflicts(c, inProgress) {
		return c
	}
	var best *Compaction
	consider := func(group []*manifest.FileMetadata) {
		if len(group) == 0 {
			return
		}
		c := p.newCompaction(v, KindDeleteOnly, level, level, info, group)
		if best == nil || totalSize(c.Inputs) > totalSize(best.Inputs) {
			best = c
		}
	}
	var group []*manifest.FileMetadata
	for _, f := range files {
		grown := append(slices.Clone(group), f)
		if !conflicts(p.newCompaction(v, KindDeleteOnly, level, level, info, grown), inProgress) {
			group = grown
			continue
		}
		consider(group)
		group = nil
		if !conflicts(p.newCompaction(v, KindDeleteOnly, level, level, info, []*manifest.FileMetadata{f}), inProgress) {
			group = []*manifest.FileMetadata{f}
		}
	}
	consider(group)
	return best
}
