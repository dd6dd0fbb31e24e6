package tempest

import (
	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/compact"
	"github.com/tempestdb/tempest/internal/manifest"
)

// Level placement of ingested files.
//
// An ingested file is newer than everything in the DB, so it may sit at
// level L only if no level above L, and not L itself, holds a key it
// holds: a read stops at the first level holding a key (getter.done),
// and a level's files must not overlap. Each file goes to the deepest
// such level, judged on the Comparer's logical keys (prefixes), as
// compaction judges overlap; L0, where files may overlap, takes it if no
// other level can. The memtables are empty when placement runs (Ingest
// flushes them first).
//
// Compactions in progress count as holding their whole key range at
// their output level: their outputs, not yet installed, may span it.
// While an ingestion places its files and applies its edit, no new
// compaction starts (d.mu.ingesting), so the version and the compactions
// it is judged against stay the ones it saw.
//
// The files of one ingestion do not overlap each other, except the
// range tombstone of IngestAndReplace, which spans them all; it is placed
// last, above the files it overlaps if they are in L1 or deeper (a level
// holds no two overlapping files). It shares their seqnum, so its level
// does not matter to reads: a tombstone deletes only older seqnums.

// placeIngestLocked sets the level of each file, and of tomb if not nil,
// against the current version and the compactions in progress. Requires
// d.mu.
func (d *DB) placeIngestLocked(files []*ingestFile, tomb *ingestFile) {
	v := d.manifest.Version()
	for _, f := range files {
		f.level = d.ingestLevelLocked(v, f, nil)
	}
	if tomb != nil {
		tomb.level = d.ingestLevelLocked(v, tomb, files)
	}
}

// ingestLevelLocked returns the deepest level at and above which nothing
// in v, no compaction in progress, and none of placed (files of the same
// ingestion already placed) overlaps f; L0 if L0 overlaps.
func (d *DB) ingestLevelLocked(v *manifest.Version, f *ingestFile, placed []*ingestFile) int {
	lo, hi := f.lower(), f.props.Largest.UserKey // hi inclusive: conservative for an exclusive end
	level := 0
	for l := 0; l < manifest.NumLevels; l++ {
		if len(v.Overlaps(d.cmp, l, lo, hi)) > 0 {
			break
		}
		if l > 0 && (d.compactionOutputOverlapsLocked(l, lo, hi) || placedOverlaps(d.cmp, placed, l, lo, hi)) {
			break
		}
		level = l
	}
	return level
}

// compactionOutputOverlapsLocked reports whether a compaction in progress
// writes to level a key range logically overlapping [lo, hi].
func (d *DB) compactionOutputOverlapsLocked(level int, lo, hi []byte) bool {
	for _, c := range d.mu.compactions {
		if c.OutputLevel != level || c.Kind == compact.KindDeleteOnly {
			continue
		}
		if cLo, cHi, ok := compactionSpan(d.cmp, c); ok && logicalOverlap(d.cmp, cLo, cHi, lo, hi) {
			return true
		}
	}
	return false
}

// compactionSpan returns the user-key range c's inputs and outputs span:
// its outputs lie within it.
func compactionSpan(cmp *base.Comparer, c *compact.Compaction) (lo, hi []byte, ok bool) {
	for _, list := range [][]*manifest.FileMetadata{c.Inputs, c.OutputLevelInputs} {
		for _, f := range list {
			if !ok || cmp.Compare(f.Smallest.UserKey, lo) < 0 {
				lo = f.Smallest.UserKey
			}
			if !ok || cmp.Compare(f.Largest.UserKey, hi) > 0 {
				hi = f.Largest.UserKey
			}
			ok = true
		}
	}
	return lo, hi, ok
}

// placedOverlaps reports whether a file of placed at level logically
// overlaps [lo, hi].
func placedOverlaps(cmp *base.Comparer, placed []*ingestFile, level int, lo, hi []byte) bool {
	for _, p := range placed {
		if p.level == level && logicalOverlap(cmp, p.lower(), p.props.Largest.UserKey, lo, hi) {
			return true
		}
	}
	return false
}

// logicalOverlap reports whether the inclusive ranges [aLo, aHi] and
// [bLo, bHi] share a logical key (compared by prefix).
func logicalOverlap(cmp *base.Comparer, aLo, aHi, bLo, bHi []byte) bool {
	return cmp.CompareLogical(aLo, bHi) <= 0 && cmp.CompareLogical(bLo, aHi) <= 0
}
