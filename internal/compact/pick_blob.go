package compact

import (
	"math"

	"github.com/tempestdb/tempest/internal/manifest"
)

// PickBlobRewrite returns a compaction that rewrites, into its own level,
// one file of L1 or deeper that rewrite selects (one naming a blob file
// whose live fraction is low: the executor copies the values it names
// there to a new blob file), or nil if none is free. L0 files are left
// to the compactions that soon move them down. The file keeps its level
// and key range, so the level's order holds.
func (p *Picker) PickBlobRewrite(v *manifest.Version, inProgress []*Compaction, rewrite func(*manifest.FileMetadata) bool) *Compaction {
	busy := newCompacting(inProgress)
	for level := 1; level < manifest.NumLevels; level++ {
		for _, f := range v.Levels[level] {
			if busy.has(f) || !rewrite(f) {
				continue
			}
			c := &Compaction{
				Kind: KindBlobRewrite, StartLevel: level, OutputLevel: level,
				Inputs:         []*manifest.FileMetadata{f},
				TargetFileSize: math.MaxUint64,
				Smallest:       f.Smallest, Largest: f.Largest,
				cmp: p.cmp,
			}
			if !conflicts(c, inProgress) {
				return c
			}
		}
	}
	return nil
}
