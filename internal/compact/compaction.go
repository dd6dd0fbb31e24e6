package compact

import (
	"fmt"
	"strings"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
)

// Kind says why a compaction was picked and how the executor runs it.
type Kind int

const (
	// KindDefault moves data down because a level is over its target
	// (score-based): StartLevel files merge with the OutputLevel files.
	KindDefault Kind = iota
	// KindIntraL0 merges a run of L0 files into L0 because the base level
	// is busy. StartLevel = OutputLevel = 0; Outputs is empty.
	KindIntraL0
	// KindTombstoneDensity rewrites files with many tombstones: into the
	// next level, or into their own level when nothing below overlaps them
	// (then the tombstones can be dropped).
	KindTombstoneDensity
	// KindDeleteOnly removes Inputs without writing anything, because no
	// reader can see what they hold: every entry is a tombstone and
	// nothing below shadows (PickAt), or a newer range tombstone no
	// snapshot separates from them deletes all of it (PickDeleteOnly; see
	// doc.go). StartLevel = OutputLevel; Outputs is empty.
	KindDeleteOnly
	// KindManual is a compaction the user asked for (PickManual). It always
	// rewrites its files.
	KindManual
	// KindMove changes the level of one file in the manifest: Inputs holds
	// that file, Outputs is empty and nothing is rewritten.
	KindMove
	// KindRead moves L0 into the base level before L0 is due, because
	// reads keep paying for its files (PickRead).
	KindRead
	// KindBlobRewrite rewrites one file into its own level because it
	// names a blob file whose live fraction is low (PickBlobRewrite): the
	// values it names there move to a new blob file, so the old one can
	// go. StartLevel = OutputLevel; OutputLevelInputs is empty.
	KindBlobRewrite
)

var kindNames = [...]string{
	KindDefault:          "default",
	KindIntraL0:          "intra-l0",
	KindTombstoneDensity: "tombstone-density",
	KindDeleteOnly:       "delete-only",
	KindManual:           "manual",
	KindMove:             "move",
	KindRead:             "read",
	KindBlobRewrite:      "blob-rewrite",
}

func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Compaction is a picked compaction: which files to merge and where the
// result goes. The picker builds it from one Version; its files stay valid
// as long as that Version's files are live, which the executor guarantees
// by registering the compaction as in progress until its edit is applied
// or abandoned.
//
// The executor merges Inputs and Outputs, writes the result to
// OutputLevel, and applies one manifest edit removing Inputs (from
// StartLevel) and OutputLevelInputs (from OutputLevel) and adding the new files. A
// KindMove edit removes the input file and adds it back at OutputLevel; a
// KindDeleteOnly edit only removes.
type Compaction struct {
	Kind        Kind
	StartLevel  int
	OutputLevel int
	// Inputs are files of StartLevel, in level order.
	Inputs []*manifest.FileMetadata
	// OutputLevelInputs are the files of OutputLevel that overlap Inputs:
	// inputs too, read from the output level (not the files the compaction
	// writes). Empty when StartLevel = OutputLevel.
	OutputLevelInputs []*manifest.FileMetadata
	// Score is the start level's score for score-based compactions, the
	// highest tombstone density of the inputs for density and delete-only
	// compactions (mostly 0 for files that a range tombstone deletes), and
	// 0 for manual ones.
	Score float64
	// Grandparents are the files of OutputLevel+1 overlapping the key
	// range; the executor should start a new output file before one would
	// overlap more than ten output-target-sizes of them, to bound the cost
	// of compacting it later. Empty for the last level and intra-L0.
	Grandparents []*manifest.FileMetadata
	// TargetFileSize is the output file size at which the executor starts
	// a new file. For intra-L0 it is the total input size, so the result is
	// one file.
	TargetFileSize uint64
	// BaseLevel is the base level of the Version the compaction was picked
	// from.
	BaseLevel int
	// IsBottommost reports that no level below OutputLevel holds data in
	// the key range, so tombstones and the versions they shadow may be
	// dropped once no snapshot needs them. Always false for intra-L0
	// (older L0 files may hold older versions).
	IsBottommost bool
	// Smallest and Largest bound the internal keys of Inputs and Outputs.
	Smallest, Largest base.InternalKey

	// cmp orders keys for Overlaps.
	cmp *base.Comparer
}

// InputBytes returns the total size of Inputs and Outputs.
func (c *Compaction) InputBytes() uint64 { return totalSize(c.Inputs) + totalSize(c.OutputLevelInputs) }

// String describes c on one line, for logs and tests, e.g.
//
//	L0->L6 default score=1.25 inputs=[1,2] outputs=[3] grandparents=[] target=2MiB bottommost ["a"#12,SET-"d"#13,SET]
func (c *Compaction) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "L%d->L%d %s score=%.2f inputs=%s outputs=%s grandparents=%s target=%s",
		c.StartLevel, c.OutputLevel, c.Kind, c.Score, fileList(c.Inputs), fileList(c.OutputLevelInputs),
		fileList(c.Grandparents), FormatBytes(c.TargetFileSize))
	if c.IsBottommost {
		b.WriteString(" bottommost")
	}
	cmp := c.cmp
	if cmp == nil {
		cmp = base.DefaultComparer
	}
	fmt.Fprintf(&b, " [%s-%s]", formatKey(cmp, c.Smallest), formatKey(cmp, c.Largest))
	return b.String()
}

// formatKey renders an internal key as user#seq,KIND.
func formatKey(cmp *base.Comparer, k base.InternalKey) string {
	return fmt.Sprintf("%s#%d,%s", cmp.Format(k.UserKey), uint64(k.SeqNum()), k.Kind())
}

// fileList renders file numbers as [1,2,3].
func fileList(files []*manifest.FileMetadata) string {
	parts := make([]string, len(files))
	for i, f := range files {
		parts[i] = fmt.Sprint(uint64(f.FileNum))
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// FormatBytes renders n in the largest binary unit that divides it, or
// with one decimal: 2MiB, 1.5KiB, 700B.
func FormatBytes(n uint64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	u := 0
	for u+1 < len(units) && n>>(10*(u+1)) > 0 {
		u++
	}
	if u == 0 || n%(1<<(10*u)) == 0 {
		return fmt.Sprintf("%d%s", n>>(10*u), units[u])
	}
	return fmt.Sprintf("%.1f%s", float64(n)/float64(uint64(1)<<(10*u)), units[u])
}

// Overlaps reports whether compactions a and b conflict, so that they must
// not run at the same time:
//   - they share a file, or
//   - some level of L1+ is the start or output level of both and their key
//     ranges in it intersect (compared logically: by prefix). A
//     compaction's range in its output level is its whole range (it writes
//     there); in its start level, the range of its Inputs (it removes
//     them). So two compactions never write, or read and write, overlapping
//     key ranges of one level.
//
// In L0 only shared files conflict: L0 files may overlap, and the picker
// keeps concurrent L0 compactions apart by construction (an L0→base
// compaction holds every L0 file overlapping its range; an intra-L0
// compaction holds a run of files contiguous in seqnum order; see doc.go).
func Overlaps(a, b *Compaction) bool {
	files := make(map[base.FileNum]bool, len(a.Inputs)+len(a.OutputLevelInputs))
	for _, f := range a.Inputs {
		files[f.FileNum] = true
	}
	for _, f := range a.OutputLevelInputs {
		files[f.FileNum] = true
	}
	for _, list := range [][]*manifest.FileMetadata{b.Inputs, b.OutputLevelInputs} {
		for _, f := range list {
			if files[f.FileNum] {
				return true
			}
		}
	}
	cmp := a.cmp
	if cmp == nil {
		cmp = b.cmp
	}
	if cmp == nil {
		cmp = base.DefaultComparer
	}
	for _, level := range []int{a.StartLevel, a.OutputLevel} {
		if level == 0 || (level != b.StartLevel && level != b.OutputLevel) {
			continue
		}
		alo, ahi := a.levelBounds(cmp, level)
		blo, bhi := b.levelBounds(cmp, level)
		if cmp.CompareLogical(alo.UserKey, bhi.UserKey) <= 0 && cmp.CompareLogical(blo.UserKey, ahi.UserKey) <= 0 {
			return true
		}
	}
	return false
}

// levelBounds returns the key range c uses in level, its start or output
// level: the whole range in the output level, the range of Inputs in the
// start level.
func (c *Compaction) levelBounds(cmp *base.Comparer, level int) (smallest, largest base.InternalKey) {
	if level == c.OutputLevel || len(c.Inputs) == 0 {
		return c.Smallest, c.Largest
	}
	smallest, largest = c.Inputs[0].Smallest, c.Inputs[0].Largest
	for _, f := range c.Inputs[1:] {
		if cmp.CompareInternal(f.Smallest, smallest) < 0 {
			smallest = f.Smallest
		}
		if cmp.CompareInternal(f.Largest, largest) > 0 {
			largest = f.Largest
		}
	}
	return smallest, largest
}

// totalSize returns the summed size of files.
func totalSize(files []*manifest.FileMetadata) uint64 {
	var n uint64
	for _, f := range files {
		n += f.Size
	}
	return n
}
