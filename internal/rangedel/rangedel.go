// Package rangedel answers "is this entry deleted by a range tombstone?".
//
// A range tombstone {Start, End, Seq} deletes every entry whose user key k
// has Start <= k < End and whose seqnum is below Seq. Tombstones from many
// sources may overlap; a Set fragments them into disjoint spans, each
// carrying the seqnums of every tombstone covering it (descending), so a
// query is a binary search for the span and then for the seqnum.
//
// Invariant of a Set: spans are sorted, non-empty (Start < End) and
// disjoint; each span's Seqs are sorted descending without duplicates.
package rangedel

import (
	"slices"
	"sort"

	"github.com/tempestdb/tempest/internal/base"
)

// Tombstone is a range tombstone.
type Tombstone struct {
	Start, End []byte
	Seq        base.SeqNum
}

// Span is a fragment of the key space with the seqnums of the tombstones
// covering all of it.
type Span struct {
	Start, End []byte
	Seqs       []base.SeqNum // descending
}

// Set is an immutable, fragmented set of tombstones. The zero Set (and a
// nil *Set) is empty.
type Set struct {
	cmp   *base.Comparer
	spans []Span
}

// Build fragments ts. The tombstones' byte slices are referenced, not
// copied.
func Build(cmp *base.Comparer, ts []Tombstone) *Set {
	s := &Set{cmp: cmp}
	if len(ts) == 0 {
		return s
	}
	var bounds [][]byte
	for _, t := range ts {
		if cmp.Compare(t.Start, t.End) < 0 {
			bounds = append(bounds, t.Start, t.End)
		}
	}
	slices.SortFunc(bounds, cmp.Compare)
	bounds = slices.CompactFunc(bounds, func(a, b []byte) bool { return cmp.Compare(a, b) == 0 })
	if len(bounds) < 2 {
		return s
	}
	seqs := make([][]base.SeqNum, len(bounds)-1)
	for _, t := range ts {
		if cmp.Compare(t.Start, t.End) >= 0 {
			continue
		}
		i := sort.Search(len(bounds), func(i int) bool { return cmp.Compare(bounds[i], t.Start) >= 0 })
		for ; i < len(bounds)-1 && cmp.Compare(bounds[i], t.End) < 0; i++ {
			seqs[i] = append(seqs[i], t.Seq)
		}
	}
	for i, q := range seqs {
		if len(q) == 0 {
			continue
		}
		slices.Sort(q)
		slices.Reverse(q)
		q = slices.Compact(q)
		s.spans = append(s.spans, Span{Start: bounds[i], End: bounds[i+1], Seqs: q})
	}
	return s
}

// Empty reports whether the set holds no tombstone.
func (s *Set) Empty() bool { return s == nil || len(s.spans) == 0 }

// Spans returns the fragments in key order. They must not be modified.
func (s *Set) Spans() []Span {
	if s == nil {
		return nil
	}
	return s.spans
}

// span returns the span containing key, or nil.
func (s *Set) span(key []byte) *Span {
	if s.Empty() {
		return nil
	}
	i := sort.Search(len(s.spans), func(i int) bool { return s.cmp.Compare(s.spans[i].End, key) > 0 })
	if i == len(s.spans) || s.cmp.Compare(s.spans[i].Start, key) > 0 {
		return nil
	}
	return &s.spans[i]
}

// Covers reports whether a tombstone with seqnum in (seq, limit] covers
// key: whether an entry of key at seq is deleted for a reader at snapshot
// limit.
func (s *Set) Covers(key []byte, seq, limit base.SeqNum) bool {
	sp := s.span(key)
	if sp == nil {
		return false
	}
	// Seqs are descending: find the first <= limit.
	i := sort.Search(len(sp.Seqs), func(i int) bool { return sp.Seqs[i] <= limit })
	return i < len(sp.Seqs) && sp.Seqs[i] > seq
}
