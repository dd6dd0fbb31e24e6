package compact

import (
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
)

// TestKeepIngestionsWhole: taking the oldest files of an L0 run, an
// intra-L0 compaction leaves out the files of an ingestion (files that
// share one seqnum) unless it takes all of them.
func TestKeepIngestionsWhole(t *testing.T) {
	file := func(lo, hi base.SeqNum) *manifest.FileMetadata {
		return &manifest.FileMetadata{SmallestSeq: lo, LargestSeq: hi}
	}
	// Newest first: a flush, three files of one ingestion at 50, then
	// four flushes.
	l0 := []*manifest.FileMetadata{
		file(60, 70), file(50, 50), file(50, 50), file(50, 50),
		file(40, 45), file(30, 39), file(20, 29), file(10, 19),
	}
	for _, tc := range []struct{ i, n, want int }{
		{4, 4, 4}, // the four flushes: nothing shared
		{3, 5, 4}, // one file of the ingestion: left out
		{2, 6, 4}, // two of them: left out
		{1, 7, 7}, // all three: kept, the file before is newer
		{0, 8, 8}, // everything
		{2, 2, 0}, // only ingested files, part of them
	} {
		if got := keepIngestionsWhole(l0, tc.i, tc.n); got != tc.want {
			t.Errorf("keepIngestionsWhole(l0, %d, %d) = %d, want %d", tc.i, tc.n, got, tc.want)
		}
	}
}
