package tempest

import (
	"strings"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
	"github.com/tempestdb/tempest/sstable"
)

// TestTableDiffs: every field a table states about itself is compared
// with the manifest, and the fields the manifest does not know (counts
// recorded as zero, the file number of an old table) are not.
func TestTableDiffs(t *testing.T) {
	key := func(k string, seq base.SeqNum, kind base.Kind) base.InternalKey {
		return base.MakeInternalKey([]byte(k), seq, kind)
	}
	props := sstable.Properties{
		FormatVersion: 4, FileNum: 7, EntryCount: 10, DeletionCount: 2, RangeDelCount: 1,
		Smallest: key("a", 5, base.KindSet), Largest: key("m", 9, base.KindDelete),
		SmallestSeq: 3, LargestSeq: 9,
	}
	meta := manifest.FileMetadata{
		FileNum: 7, EntryCount: 10, DeletionCount: 2, RangeDelCount: 1,
		Smallest: key("a", 5, base.KindSet), Largest: key("m", 9, base.KindDelete),
		SmallestSeq: 3, LargestSeq: 9,
	}
	for _, tc := range []struct {
		name   string
		props  func(*sstable.Properties)
		meta   func(*manifest.FileMetadata)
		differ string // "" if the two must agree
	}{
		{name: "same"},
		{name: "file number", props: func(p *sstable.Properties) { p.FileNum = 8 }, differ: "file number 000008, manifest 000007"},
		{name: "version 3 has no file number", props: func(p *sstable.Properties) { p.FormatVersion, p.FileNum = 3, 0 }},
		{name: "smallest user key", props: func(p *sstable.Properties) { p.Smallest = key("b", 5, base.KindSet) }, differ: "smallest key"},
		{name: "smallest seqnum in key", props: func(p *sstable.Properties) { p.Smallest = key("a", 4, base.KindSet) }, differ: "smallest key"},
		{name: "largest kind", props: func(p *sstable.Properties) { p.Largest = key("m", 9, base.KindSet) }, differ: "largest key"},
		{name: "seqnum range", props: func(p *sstable.Properties) { p.LargestSeq = 10 }, differ: "seqnums [3, 10], manifest [3, 9]"},
		{name: "entry count", props: func(p *sstable.Properties) { p.EntryCount = 11 }, differ: "entries/deletions 11/2, manifest 10/2"},
		{name: "deletion count", props: func(p *sstable.Properties) { p.DeletionCount = 1 }, differ: "entries/deletions 10/1"},
		{name: "range deletion count", props: func(p *sstable.Properties) { p.RangeDelCount = 2 }, differ: "range deletions 2, manifest 1"},
		{name: "no stats recorded", meta: func(m *manifest.FileMetadata) {
			m.EntryCount, m.DeletionCount, m.RangeDelCount = 0, 0, 0
		}},
		{name: "range deletion count not recorded", meta: func(m *manifest.FileMetadata) { m.RangeDelCount = 0 }},
		{name: "zero entries recorded with tombstones", meta: func(m *manifest.FileMetadata) {
			m.EntryCount, m.DeletionCount = 0, 0
		}, differ: "entries/deletions 10/2, manifest 0/0"},
	} {
		p, m := props, meta
		if tc.props != nil {
			tc.props(&p)
		}
		if tc.meta != nil {
			tc.meta(&m)
		}
		diffs := strings.Join(tableDiffs(p, &m, base.DefaultComparer), "; ")
		switch {
		case tc.differ == "" && diffs != "":
			t.Errorf("%s: differences %q, want none", tc.name, diffs)
		case tc.differ != "" && !strings.Contains(diffs, tc.differ):
			t.Errorf("%s: differences %q, want %q", tc.name, diffs, tc.differ)
		}
	}
}
