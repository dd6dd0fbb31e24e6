package tempest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
)

// sliceIter is an InternalIterator over a sorted slice, for tests.
type sliceIter struct {
	keys []base.InternalKey
	vals [][]byte
	pos  int
}

func (s *sliceIter) valid() bool { return s.pos >= 0 && s.pos < len(s.keys) }
func (s *sliceIter) First() bool { s.pos = 0; return s.valid() }
func (s *sliceIter) Last() bool  { s.pos = len(s.keys) - 1; return s.valid() }
func (s *sliceIter) Next() bool  { s.pos++; return s.valid() }
func (s *sliceIter) Prev() bool  { s.pos--; return s.valid() }
func (s *sliceIter) SeekGE(k base.InternalKey) bool {
	s.pos = 0
	for s.valid() && base.DefaultComparer.CompareInternal(s.keys[s.pos], k) < 0 {
		s.pos++
	}
	return s.valid()
}
func (s *sliceIter) SeekLT(k base.InternalKey) bool {
	s.pos = len(s.keys) - 1
	for s.valid() && base.DefaultComparer.CompareInternal(s.keys[s.pos], k) >= 0 {
		s.pos--
	}
	return s.valid()
}
func (s *sliceIter) Key() base.InternalKey { return s.keys[s.pos] }
func (s *sliceIter) Value() []byte         { return s.vals[s.pos] }
func (s *sliceIter) Error() error          { return nil }
func (s *sliceIter) Close() error          { return nil }

// parseEntries reads "a.SET.10 a.DEL.5 b.MERGE.3" (sorted).
func parseEntries(t *testing.T, s string) *sliceIter {
	it := &sliceIter{}
	for _, f := range strings.Fields(s) {
		var key, kind string
		var seq uint64
		parts := strings.Split(f, ".")
		key, kind = parts[0], parts[1]
		fmt.Sscan(parts[2], &seq)
		k := base.KindSet
		switch kind {
		case "DEL":
			k = base.KindDelete
		case "MERGE":
			k = base.KindMerge
		}
		it.keys = append(it.keys, base.MakeInternalKey([]byte(key), base.SeqNum(seq), k))
		it.vals = append(it.vals, []byte(f))
	}
	return it
}

func TestCompactionIter(t *testing.T) {
	cases := []struct {
		in         string
		snapshots  []base.SeqNum
		bottommost bool
		want       string
	}{
		// Without snapshots only the newest version of each key survives.
		{"a.SET.10 a.SET.5 b.SET.3", nil, false, "a.SET.10 b.SET.3"},
		// A tombstone survives unless bottommost.
		{"a.DEL.10 a.SET.5 b.SET.3", nil, false, "a.DEL.10 b.SET.3"},
		{"a.DEL.10 a.SET.5 b.SET.3", nil, true, "b.SET.3"},
		// A snapshot at 7 needs a.SET.5.
		{"a.SET.10 a.SET.5 a.SET.2", []base.SeqNum{7}, false, "a.SET.10 a.SET.5"},
		// Tombstone above a snapshot is kept even at the bottom.
		{"a.DEL.10 a.SET.5", []base.SeqNum{7}, true, "a.DEL.10 a.SET.5"},
		// Tombstone below every snapshot at the bottom: dropped with what it hides.
		{"a.SET.10 a.DEL.5 a.SET.2", []base.SeqNum{7}, true, "a.SET.10"},
		// Snapshot exactly at a version's seqnum sees it.
		{"a.SET.10 a.SET.7 a.SET.6", []base.SeqNum{7}, false, "a.SET.10 a.SET.7"},
		// Two snapshots, three stripes.
		{"a.SET.30 a.SET.25 a.SET.15 a.SET.12 a.SET.3", []base.SeqNum{10, 20}, false, "a.SET.30 a.SET.15 a.SET.3"},
		// Duplicate seqnums (one batch) keep the first.
		{"a.DEL.9 a.SET.9", nil, false, "a.DEL.9"},
	}
	for _, c := range cases {
		ci := newCompactionIter(base.DefaultComparer, parseEntries(t, c.in), c.snapshots, c.bottommost, nil, nil, nil)
		var got []string
		for ok := ci.First(); ok; ok = ci.Next() {
			got = append(got, string(ci.Value()))
		}
		if g := strings.Join(got, " "); g != c.want {
			t.Errorf("%q snapshots=%v bottom=%v: got %q, want %q", c.in, c.snapshots, c.bottommost, g, c.want)
		}
	}
}

// Under a Comparer with version suffixes, a bottom tombstone hides the
// older versions of its prefix from reads at its version and later, even
// versions written after it, so compactions keep it (the newest version of
// its own user key, as any version). Keys are a row letter and a one-byte
// version, sorted newest version first.
func TestCompactionIterSuffixTombstones(t *testing.T) {
	cmp := base.FixedSuffixComparer(1)
	cases := []struct {
		in         string
		bottommost bool
		want       string
	}{
		{"r5.DEL.10 r2.SET.5", true, "r5.DEL.10 r2.SET.5"},
		{"r5.DEL.10", true, "r5.DEL.10"},
		{"r5.DEL.10 s2.SET.5", true, "r5.DEL.10 s2.SET.5"},
		{"r5.DEL.10 r5.SET.4 r2.SET.3", true, "r5.DEL.10 r2.SET.3"},
		{"r5.DEL.10 r5.SET.4", true, "r5.DEL.10"},
		{"r5.DEL.10 r2.DEL.5", true, "r5.DEL.10 r2.DEL.5"},
	}
	for _, c := range cases {
		ci := newCompactionIter(cmp, parseEntries(t, c.in), nil, c.bottommost, nil, nil, nil)
		var got []string
		for ok := ci.First(); ok; ok = ci.Next() {
			got = append(got, string(ci.Value()))
		}
		if g := strings.Join(got, " "); g != c.want {
			t.Errorf("%q bottom=%v: got %q, want %q", c.in, c.bottommost, g, c.want)
		}
	}
}
