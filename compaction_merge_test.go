package tempest

import (
	"errors"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/rangedel"
)

// traceMerger joins operands with "+", and starts a fold over nothing
// with "nil", so that a test sees what was folded over what. It is
// associative, nil included. It fails on an operand or value "a.SET.3".
var traceMerger = &Merger{Name: "trace", Merge: func(key, older, newer []byte) ([]byte, error) {
	if string(older) == "a.SET.3" || string(newer) == "a.SET.3" {
		return nil, errors.New("trace: refused")
	}
	if older == nil {
		older = []byte("nil")
	}
	return []byte(string(older) + "+" + string(newer)), nil
}}

func TestCompactionIterMerge(t *testing.T) {
	cases := []struct {
		in         string
		snapshots  []base.SeqNum
		bottommost bool
		rangeDel   base.SeqNum // of [a, c), 0 for none
		want       string
	}{
		// Operands fold over the value below.
		{"a.MERGE.10 a.MERGE.8 a.SET.5", nil, false, 0, "SET:a.SET.5+a.MERGE.8+a.MERGE.10"},
		// Nothing below in the inputs: an operand, unless bottommost.
		{"a.MERGE.10 a.MERGE.8", nil, false, 0, "MERGE:a.MERGE.8+a.MERGE.10"},
		{"a.MERGE.10 a.MERGE.8", nil, true, 0, "SET:nil+a.MERGE.8+a.MERGE.10"},
		{"a.MERGE.10 b.SET.5", nil, false, 0, "MERGE:a.MERGE.10 SET:b.SET.5"},
		{"a.MERGE.10 b.SET.5", nil, true, 0, "SET:nil+a.MERGE.10 SET:b.SET.5"},
		// A tombstone below ends the fold over nothing.
		{"a.MERGE.10 a.DEL.8 a.SET.5", nil, false, 0, "SET:nil+a.MERGE.10"},
		// A snapshot at 8 separates the stripes: no fold across it.
		{"a.MERGE.10 a.MERGE.9 a.MERGE.8 a.SET.5", []base.SeqNum{8}, false, 0, "MERGE:a.MERGE.9+a.MERGE.10 SET:a.SET.5+a.MERGE.8"},
		{"a.MERGE.10 a.SET.8", []base.SeqNum{9}, true, 0, "MERGE:a.MERGE.10 SET:a.SET.8"},
		{"a.MERGE.10 a.MERGE.8", []base.SeqNum{9}, true, 0, "MERGE:a.MERGE.10 SET:nil+a.MERGE.8"},
		// A range tombstone of the stripe between them hides the value.
		{"a.MERGE.10 a.SET.5", nil, false, 7, "SET:nil+a.MERGE.10"},
		{"a.MERGE.10 a.SET.5", []base.SeqNum{8}, false, 7, "MERGE:a.MERGE.10"},
		// One covering the operand drops it.
		{"a.MERGE.10 a.SET.5", nil, false, 12, ""},
		// A snapshot between: the stripe below folds as if it were not there.
		{"a.MERGE.10 a.SET.5", []base.SeqNum{11}, false, 12, "SET:a.SET.5+a.MERGE.10"},
	}
	for _, c := range cases {
		var rd *rangedel.Set
		if c.rangeDel != 0 {
			rd = rangedel.Build(base.DefaultComparer, []rangedel.Tombstone{{Start: []byte("a"), End: []byte("c"), Seq: c.rangeDel}})
		}
		ci := newCompactionIter(base.DefaultComparer, parseEntries(t, c.in), c.snapshots, c.bottommost, rd, nil, traceMerger)
		var got []string
		for ok := ci.First(); ok; ok = ci.Next() {
			got = append(got, ci.Key().Kind().String()+":"+string(ci.Value()))
		}
		if err := ci.Error(); err != nil {
			t.Fatalf("%q: %v", c.in, err)
		}
		if g := strings.Join(got, " "); g != c.want {
			t.Errorf("%q snapshots=%v bottom=%v rangedel=%d: got %q, want %q", c.in, c.snapshots, c.bottommost, c.rangeDel, g, c.want)
		}
	}
}

// TestFlushFoldUnderNewerRangeDelete checks a flush's fold (which keeps
// entries a range tombstone covers) under a tombstone newer than the
// operand: the operand folds over the value below, as a read at its
// seqnum sees it, and a tombstone between ends the fold.
func TestFlushFoldUnderNewerRangeDelete(t *testing.T) {
	for _, c := range []struct {
		rangeDel base.SeqNum
		want     string
	}{
		{12, "SET:a.SET.5+a.MERGE.10"},
		{7, "SET:nil+a.MERGE.10"},
	} {
		rd := rangedel.Build(base.DefaultComparer, []rangedel.Tombstone{{Start: []byte("a"), End: []byte("c"), Seq: c.rangeDel}})
		ci := newCompactionIter(base.DefaultComparer, parseEntries(t, "a.MERGE.10 a.SET.5"), nil, false, rd, nil, traceMerger)
		ci.foldOnly = true
		var got []string
		for ok := ci.First(); ok; ok = ci.Next() {
			got = append(got, ci.Key().Kind().String()+":"+string(ci.Value()))
		}
		if err := ci.Error(); err != nil {
			t.Fatal(err)
		}
		if g := strings.Join(got, " "); g != c.want {
			t.Errorf("rangedel=%d: got %q, want %q", c.rangeDel, g, c.want)
		}
	}
}

func TestCompactionIterMergeFailure(t *testing.T) {
	ci := newCompactionIter(base.DefaultComparer, parseEntries(t, "a.MERGE.10 a.SET.3 b.SET.2"), nil, false, nil, nil, traceMerger)
	var got []string
	for ok := ci.First(); ok; ok = ci.Next() {
		got = append(got, string(ci.Value()))
	}
	if err := ci.Error(); err == nil || !strings.Contains(err.Error(), "trace: refused") || len(got) != 0 {
		t.Fatalf("yielded %q, error %v; want nothing and the merge's error", got, err)
	}
}
