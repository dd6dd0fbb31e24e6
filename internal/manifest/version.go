package manifest

import (
	"fmt"
	"sort"
	"strings"

	"github.com/tempestdb/tempest/internal/base"
)

// Version is an immutable snapshot of the shape of the LSM: the live files
// of every level. Neither the Version nor its files may be modified.
//
// Order within a level:
//   - L0 files may overlap; they are ordered newest first: by LargestSeq
//     descending, then FileNum descending.
//   - L1 and deeper are sorted by Smallest (internal-key order of the
//     manifest's comparer) and do not overlap: each file's Largest sorts
//     strictly before the next file's Smallest.
//
// Versions are built by the Manifest, which owns the comparer.
type Version struct {
	Levels [NumLevels][]*FileMetadata
}

// NumFiles returns the number of files in all levels.
func (v *Version) NumFiles() int {
	n := 0
	for _, files := range v.Levels {
		n += len(files)
	}
	return n
}

// String lists the files level by level, omitting empty levels.
func (v *Version) String() string {
	var b strings.Builder
	for level, files := range v.Levels {
		if len(files) == 0 {
			continue
		}
		fmt.Fprintf(&b, "L%d:\n", level)
		for _, f := range files {
			fmt.Fprintf(&b, "  %s\n", f)
		}
	}
	if b.Len() == 0 {
		return "(empty)\n"
	}
	return b.String()
}

// newVersion builds the version holding files.
func newVersion(cmp *base.Comparer, files []*FileMetadata) *Version {
	v := &Version{}
	for _, f := range files {
		v.Levels[f.Level] = append(v.Levels[f.Level], f)
	}
	for level := range v.Levels {
		sortLevel(cmp, level, v.Levels[level])
	}
	return v
}

// withEdit returns a new version: v without e.Removed, plus e.Added. Only
// the levels the edit touches are copied. The added files are referenced,
// not copied. The edit must have passed state.Check.
func (v *Version) withEdit(cmp *base.Comparer, e *Edit) *Version {
	nv := *v
	var touched [NumLevels]bool
	for _, r := range e.Removed {
		touched[r.Level] = true
	}
	for i := range e.Added {
		touched[e.Added[i].Level] = true
	}
	removed := make(map[base.FileNum]bool, len(e.Removed))
	for _, r := range e.Removed {
		removed[r.FileNum] = true
	}
	for level := range nv.Levels {
		if !touched[level] {
			continue
		}
		files := make([]*FileMetadata, 0, len(v.Levels[level])+len(e.Added))
		for _, f := range v.Levels[level] {
			if !removed[f.FileNum] {
				files = append(files, f)
			}
		}
		for i := range e.Added {
			if e.Added[i].Level == level {
				files = append(files, &e.Added[i])
			}
		}
		sortLevel(cmp, level, files)
		nv.Levels[level] = files
	}
	return &nv
}

// sortLevel orders the files of one level (see Version).
func sortLevel(cmp *base.Comparer, level int, files []*FileMetadata) {
	if level == 0 {
		sort.Slice(files, func(i, j int) bool { return l0Before(files[i], files[j]) })
		return
	}
	sort.Slice(files, func(i, j int) bool {
		if c := cmp.CompareInternal(files[i].Smallest, files[j].Smallest); c != 0 {
			return c < 0
		}
		return files[i].FileNum < files[j].FileNum
	})
}

// l0Before reports whether a sorts before b in L0: newer first.
func l0Before(a, b *FileMetadata) bool {
	if a.LargestSeq != b.LargestSeq {
		return a.LargestSeq > b.LargestSeq
	}
	return a.FileNum > b.FileNum
}

// CheckInvariants verifies the version:
//   - every file sits in the level it names, appears once, has
//     Smallest <= Largest, SmallestSeq <= LargestSeq <= base.SeqNumMax, and
//     the seqnums of Smallest and Largest within [SmallestSeq, LargestSeq];
//   - L0 is ordered newest first;
//   - L1+ are sorted by Smallest and do not overlap.
func (v *Version) CheckInvariants(cmp *base.Comparer) error {
	seen := make(map[base.FileNum]int)
	for level, files := range v.Levels {
		for i, f := range files {
			if f == nil {
				return fmt.Errorf("level L%d: file %d is nil", level, i)
			}
			if f.Level != level {
				return fmt.Errorf("level L%d: file %s claims level %d", level, f.FileNum, f.Level)
			}
			if l, dup := seen[f.FileNum]; dup {
				return fmt.Errorf("level L%d: file %s also in L%d", level, f.FileNum, l)
			}
			seen[f.FileNum] = level
			if err := checkFile(cmp, f); err != nil {
				return fmt.Errorf("level L%d: file %s: %w", level, f.FileNum, err)
			}
			if i == 0 {
				continue
			}
			prev := files[i-1]
			if level == 0 {
				if !l0Before(prev, f) {
					return fmt.Errorf("level L0: file %s (largest seq %d) is not ordered before file %s (largest seq %d)",
						prev.FileNum, uint64(prev.LargestSeq), f.FileNum, uint64(f.LargestSeq))
				}
				continue
			}
			if cmp.CompareInternal(prev.Largest, f.Smallest) >= 0 {
				return fmt.Errorf("level L%d: file %s [%s-%s] overlaps or is out of order with file %s [%s-%s]",
					level, prev.FileNum, prev.Smallest.Pretty(cmp), prev.Largest.Pretty(cmp),
					f.FileNum, f.Smallest.Pretty(cmp), f.Largest.Pretty(cmp))
			}
		}
	}
	return nil
}

// checkFile verifies the bounds of one file.
func checkFile(cmp *base.Comparer, f *FileMetadata) error {
	if cmp.CompareInternal(f.Smallest, f.Largest) > 0 {
		return fmt.Errorf("smallest %s sorts after largest %s", f.Smallest.Pretty(cmp), f.Largest.Pretty(cmp))
	}
	if f.SmallestSeq > f.LargestSeq || !f.LargestSeq.Valid() {
		return fmt.Errorf("bad seqnum range [%d, %d]", uint64(f.SmallestSeq), uint64(f.LargestSeq))
	}
	for _, k := range []base.InternalKey{f.Smallest, f.Largest} {
		if k.IsExclusiveSentinel() {
			continue
		}
		if s := k.SeqNum(); s < f.SmallestSeq || s > f.LargestSeq {
			return fmt.Errorf("key %s has a seqnum outside [%d, %d]", k.Pretty(cmp), uint64(f.SmallestSeq), uint64(f.LargestSeq))
		}
	}
	return nil
}

// NewVersion returns the Version holding files, each at the level it
// names, ordered as Version describes, after checking it
// (CheckInvariants). Errors match base.ErrInvalidArgument. The Manifest
// builds its own Versions; this is for tools and tests that describe an
// LSM directly.
func NewVersion(cmp *base.Comparer, files []*FileMetadata) (*Version, error) {
	for i, f := range files {
		switch {
		case f == nil:
			return nil, base.InvalidArgumentf("manifest: file %d is nil", i)
		case !validLevel(f.Level):
			return nil, base.InvalidArgumentf("manifest: file %s has invalid level %d", f.FileNum, f.Level)
		}
	}
	v := newVersion(cmp, files)
	if err := v.CheckInvariants(cmp); err != nil {
		return nil, base.InvalidArgumentf("manifest: %v", err)
	}
	return v, nil
}
