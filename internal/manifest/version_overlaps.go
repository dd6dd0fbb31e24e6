package manifest

import (
	"sort"

	"github.com/tempestdb/tempest/internal/base"
)

// Key ranges here are logical: user keys compare by their prefix alone
// (base.Comparer.CompareLogical), because every version of one logical key
// must be compacted together. A file covers the logical range
// [prefix(Smallest), prefix(Largest)]. With base.DefaultComparer this is
// the plain user-key range.
//
// Bounds are user keys, inclusive. A nil start or end leaves that side
// unbounded; an empty non-nil slice is the empty key.

// Overlaps returns the files of level whose logical range intersects
// [start, end], in level order. The result shares the level's files.
//
// In L1+ the files' ranges are sorted and may only touch at a shared
// boundary prefix, so the result is a contiguous run found by binary
// search.
func (v *Version) Overlaps(cmp *base.Comparer, level int, start, end []byte) []*FileMetadata {
	if !validLevel(level) {
		return nil
	}
	files := v.Levels[level]
	if level == 0 {
		var out []*FileMetadata
		for _, f := range files {
			if fileOverlaps(cmp, f, start, end) {
				out = append(out, f)
			}
		}
		return out
	}
	i, j := levelRun(cmp, files, start, end)
	if i == j {
		return nil
	}
	return files[i:j:j]
}

// OverlapsAtomic returns the smallest set of files of level that contains
// every file overlapping [start, end] and can be compacted on its own: no
// file outside it shares a logical key with a file in it, and, in L0, no
// file outside it overlaps the range the set spans (L0 files overlap each
// other, and the versions of a key they hold must move together or a newer
// version could end up below an older one).
//
//   - L0: the transitive closure: the range grows to span every file found,
//     until no other file overlaps it.
//   - L1+: the run of Overlaps, extended at each end while the next file
//     shares the boundary prefix.
func (v *Version) OverlapsAtomic(cmp *base.Comparer, level int, start, end []byte) []*FileMetadata {
	if !validLevel(level) {
		return nil
	}
	files := v.Levels[level]
	if level == 0 {
		return l0Closure(cmp, files, start, end)
	}
	i, j := levelRun(cmp, files, start, end)
	if i == j {
		return nil
	}
	for i > 0 && cmp.CompareLogical(files[i-1].Largest.UserKey, files[i].Smallest.UserKey) == 0 {
		i--
	}
	for j < len(files) && cmp.CompareLogical(files[j-1].Largest.UserKey, files[j].Smallest.UserKey) == 0 {
		j++
	}
	return files[i:j:j]
}

// l0Closure returns, in L0 order, the files that overlap [start, end]
// transitively: the range grows to span each file found.
func l0Closure(cmp *base.Comparer, files []*FileMetadata, start, end []byte) []*FileMetadata {
	in := make([]bool, len(files))
	n := 0
	for changed := true; changed; {
		changed = false
		for i, f := range files {
			if in[i] || !fileOverlaps(cmp, f, start, end) {
				continue
			}
			in[i], changed = true, true
			n++
			if start != nil && cmp.CompareLogical(f.Smallest.UserKey, start) < 0 {
				start = bound(f.Smallest.UserKey)
			}
			if end != nil && cmp.CompareLogical(f.Largest.UserKey, end) > 0 {
				end = bound(f.Largest.UserKey)
			}
		}
	}
	if n == 0 {
		return nil
	}
	out := make([]*FileMetadata, 0, n)
	for i, f := range files {
		if in[i] {
			out = append(out, f)
		}
	}
	return out
}

// levelRun returns the half-open index range of the files of a sorted,
// non-overlapping level that overlap [start, end] logically.
func levelRun(cmp *base.Comparer, files []*FileMetadata, start, end []byte) (int, int) {
	i := 0
	if start != nil {
		// Largest keys increase along the level, and so do their prefixes.
		i = sort.Search(len(files), func(k int) bool {
			return cmp.CompareLogical(files[k].Largest.UserKey, start) >= 0
		})
	}
	j := len(files)
	if end != nil {
		j = i + sort.Search(len(files)-i, func(k int) bool {
			return cmp.CompareLogical(files[i+k].Smallest.UserKey, end) > 0
		})
	}
	return i, j
}

// fileOverlaps reports whether f's logical range intersects [start, end].
func fileOverlaps(cmp *base.Comparer, f *FileMetadata, start, end []byte) bool {
	if start != nil && cmp.CompareLogical(f.Largest.UserKey, start) < 0 {
		return false
	}
	if end != nil && cmp.CompareLogical(f.Smallest.UserKey, end) > 0 {
		return false
	}
	return true
}

// bound returns k as a bound: the empty key as a non-nil empty slice, so it
// is not read as "unbounded" (a decoded empty key may be nil).
func bound(k []byte) []byte {
	if k == nil {
		return []byte{}
	}
	return k
}
