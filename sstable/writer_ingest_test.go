package sstable

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/testutil"
)

// writerOp is one call on a Writer, for tables of calls.
type writerOp func(w *Writer) error

func opSet(k string) writerOp {
	return func(w *Writer) error { return w.Set([]byte(k), []byte("v")) }
}
func opDel(k string) writerOp { return func(w *Writer) error { return w.Delete([]byte(k)) } }
func opDelRange(s, e string) writerOp {
	return func(w *Writer) error { return w.DeleteRange([]byte(s), []byte(e)) }
}
func opAdd(k string, seq base.SeqNum) writerOp {
	return func(w *Writer) error { return w.Add(ikey(k, seq, base.KindSet), []byte("v")) }
}
func opAddRangeDel(s, e string, seq base.SeqNum) writerOp {
	return func(w *Writer) error { return w.AddRangeDel([]byte(s), []byte(e), seq) }
}

// TestWriterIngestRules checks that Set, Delete and DeleteRange accept
// what the rules allow and refuse, with ErrInvalidArgument, the first call
// that breaks them, after which every call and Finish fail with the same
// error.
func TestWriterIngestRules(t *testing.T) {
	suffix := base.FixedSuffixComparer(1)
	cases := []struct {
		name    string
		cmp     *base.Comparer
		ops     []writerOp
		failAt  int    // index of the refused call; -1 if none is
		message string // part of the refusal's message
	}{
		{"increasing", nil, []writerOp{opSet("a"), opDel("b"), opSet("c")}, -1, ""},
		{"empty key first", nil, []writerOp{opSet(""), opSet("a")}, -1, ""},
		{"decreasing", nil, []writerOp{opSet("b"), opSet("a")}, 1, `key "a" written after "b"`},
		{"set twice", nil, []writerOp{opSet("a"), opSet("a")}, 1, "each written once"},
		{"set then delete", nil, []writerOp{opSet("a"), opDel("a")}, 1, "each written once"},
		{"delete then set", nil, []writerOp{opDel("a"), opSet("a")}, 1, "each written once"},
		{"comparer order", suffix, []writerOp{opSet("a\x02"), opSet("a\x01"), opSet("b\x09")}, -1, ""},
		{"against comparer order", suffix, []writerOp{opSet("a\x01"), opSet("a\x02")}, 1, "strictly increase"},
		{"ranges in order", nil, []writerOp{opDelRange("a", "c"), opDelRange("d", "f")}, -1, ""},
		{"adjacent ranges", nil, []writerOp{opDelRange("a", "c"), opDelRange("c", "f")}, -1, ""},
		{"overlapping ranges", nil, []writerOp{opDelRange("a", "d"), opDelRange("c", "f")}, 1, "not overlap"},
		{"nested range", nil, []writerOp{opDelRange("a", "z"), opDelRange("c", "d")}, 1, "not overlap"},
		{"ranges out of order", nil, []writerOp{opDelRange("d", "f"), opDelRange("a", "c")}, 1, "order of start"},
		{"same range twice", nil, []writerOp{opDelRange("a", "c"), opDelRange("a", "c")}, 1, "not overlap"},
		{"empty range", nil, []writerOp{opDelRange("c", "c")}, 0, "is empty"},
		{"reversed range", nil, []writerOp{opDelRange("d", "c")}, 0, "is empty"},
		{"ranges apart from points", nil, []writerOp{
			opSet("m"), opDelRange("a", "z"), opDel("n"), opSet("o")}, -1, ""},
		{"set after add", nil, []writerOp{opAdd("a", 5), opSet("b")}, 1, "not both"},
		{"delete range after add", nil, []writerOp{opAdd("a", 5), opDelRange("b", "c")}, 1, "not both"},
		{"add after set", nil, []writerOp{opSet("a"), opAdd("b", 5)}, 1, "not both"},
		{"add range del after delete range", nil, []writerOp{opDelRange("a", "b"), opAddRangeDel("c", "d", 5)}, 1, "not both"},
		{"add range del then delete", nil, []writerOp{opAddRangeDel("c", "d", 5), opDel("a")}, 1, "not both"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cmp := c.cmp
			if cmp == nil {
				cmp = base.DefaultComparer
			}
			f := &memFile{}
			w := NewWriter(f, WriterOptions{Comparer: cmp})
			var refusal error
			for i, op := range c.ops {
				err := op(w)
				switch {
				case i < c.failAt || c.failAt < 0:
					if err != nil {
						t.Fatalf("call %d: %v", i, err)
					}
				case i == c.failAt:
					if !errors.Is(err, base.ErrInvalidArgument) || !strings.Contains(err.Error(), c.message) {
						t.Fatalf("call %d: got %v, want ErrInvalidArgument saying %q", i, err, c.message)
					}
					refusal = err
				}
			}
			if refusal != nil {
				if err := w.Set([]byte("\xff\xff"), nil); err != refusal {
					t.Fatalf("Set after the refusal: got %v, want %v", err, refusal)
				}
			}
			_, err := w.Finish()
			if err != refusal {
				t.Fatalf("Finish: got %v, want %v", err, refusal)
			}
			if !f.closed {
				t.Fatal("Finish left the file open")
			}
		})
	}
}

// ingestOp is one call of a table written for ingest, as the test expects
// to read it back.
type ingestOp struct {
	key   []byte
	kind  base.Kind // KindSet or KindDelete
	value []byte
}

// randomIngestTable draws sorted distinct point keys of random kinds and
// sorted, non-overlapping ranges (possibly adjacent) over the same keys.
func randomIngestTable(seed uint64) ([]ingestOp, []RangeDel) {
	rng := testutil.NewRand(seed)
	keys := map[string]bool{}
	for range rng.IntN(300) {
		keys[fmt.Sprintf("k%05d", rng.IntN(100000))] = true
	}
	sorted := slices.Sorted(func(yield func(string) bool) {
		for k := range keys {
			if !yield(k) {
				return
			}
		}
	})
	ops := make([]ingestOp, len(sorted))
	for i, k := range sorted {
		ops[i] = ingestOp{key: []byte(k), kind: base.KindSet, value: fmt.Appendf(nil, "v%d", rng.IntN(1000))}
		if rng.IntN(4) == 0 {
			ops[i].kind, ops[i].value = base.KindDelete, nil
		}
	}
	var dels []RangeDel
	at := 0
	for range rng.IntN(10) {
		start := at + rng.IntN(3)*rng.IntN(3000) // sometimes adjacent to the previous range
		end := start + 1 + rng.IntN(3000)        // at most 10 × 9000: five digits
		dels = append(dels, rangeDel(fmt.Sprintf("k%05d", start), fmt.Sprintf("k%05d", end), 0))
		at = end
	}
	return ops, dels
}

// TestWriterIngestRoundTrip writes random tables with Set, Delete and
// DeleteRange, interleaving ranges with points at random, and reads back
// every entry and range at seqnum zero with its kind, and the table's
// counts and bounds.
func TestWriterIngestRoundTrip(t *testing.T) {
	seed := testSeed(t)
	for i := range uint64(20) {
		ops, dels := randomIngestTable(seed + i)
		t.Run(fmt.Sprintf("seed=%d", seed+i), func(t *testing.T) {
			checkIngestRoundTrip(t, seed+i, ops, dels)
		})
	}
}

func checkIngestRoundTrip(t *testing.T, seed uint64, ops []ingestOp, dels []RangeDel) {
	rng := testutil.NewRand(seed ^ 1)
	f := &memFile{}
	w := NewWriter(f, WriterOptions{Comparer: base.DefaultComparer, BlockSize: 64, FileName: testFileName})
	d := 0
	for _, op := range ops {
		for ; d < len(dels) && rng.IntN(3) == 0; d++ {
			if err := w.DeleteRange(dels[d].Start, dels[d].End); err != nil {
				t.Fatal(err)
			}
		}
		var err error
		if op.kind == base.KindSet {
			err = w.Set(op.key, op.value)
		} else {
			err = w.Delete(op.key)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	for ; d < len(dels); d++ {
		if err := w.DeleteRange(dels[d].Start, dels[d].End); err != nil {
			t.Fatal(err)
		}
	}
	m, err := w.Finish()
	if err != nil {
		t.Fatal(err)
	}
	r := openTable(t, f.reopen(), nil)
	if err := r.VerifyChecksums(); err != nil {
		t.Fatal(err)
	}
	got := scanForward(t, r)
	if len(got) != len(ops) {
		t.Fatalf("read %d entries, wrote %d", len(got), len(ops))
	}
	deletions := 0
	for i, op := range ops {
		want := base.MakeInternalKey(op.key, 0, op.kind)
		if g := got[i]; !bytes.Equal(g.key.UserKey, op.key) || g.key.Trailer != want.Trailer || !bytes.Equal(g.value, op.value) {
			t.Fatalf("entry %d: read %s, wrote %s=%q", i, g, want, op.value)
		}
		if op.kind == base.KindDelete {
			deletions++
		}
	}
	if rd := r.RangeDels(); !slices.EqualFunc(rd, dels, func(a, b RangeDel) bool {
		return bytes.Equal(a.Start, b.Start) && bytes.Equal(a.End, b.End) && a.Seq == 0 && b.Seq == 0
	}) {
		t.Fatalf("range deletions: read %v, wrote %v", rd, dels)
	}
	p := r.Properties()
	if p.EntryCount != uint64(len(ops)) || p.DeletionCount != uint64(deletions) || p.RangeDelCount != uint64(len(dels)) ||
		p.SmallestSeq != 0 || p.LargestSeq != 0 {
		t.Fatalf("properties %+v: want %d entries, %d deletions, %d ranges, seqnums 0", p, len(ops), deletions, len(dels))
	}
	if m.EntryCount != p.EntryCount || m.DeletionCount != p.DeletionCount || m.RangeDelCount != p.RangeDelCount {
		t.Fatalf("meta %+v disagrees with properties %+v", m, p)
	}
	smallest, largest, empty := ingestBounds(ops, dels)
	if empty {
		if !p.empty() || m.Smallest.UserKey != nil || m.Largest.UserKey != nil {
			t.Fatalf("empty table: properties %+v, meta %+v", p, m)
		}
		return
	}
	for _, b := range []struct {
		name      string
		got, want base.InternalKey
	}{
		{"properties smallest", p.Smallest, smallest}, {"properties largest", p.Largest, largest},
		{"meta smallest", m.Smallest, smallest}, {"meta largest", m.Largest, largest},
	} {
		if !bytes.Equal(b.got.UserKey, b.want.UserKey) || b.got.Trailer != b.want.Trailer {
			t.Fatalf("%s = %s, want %s", b.name, b.got, b.want)
		}
	}
}

// ingestBounds computes a table's bounds from what was written to it, as
// the package doc states them: a tie keeps the point entry's key.
func ingestBounds(ops []ingestOp, dels []RangeDel) (smallest, largest base.InternalKey, empty bool) {
	if len(ops) > 0 {
		first, last := ops[0], ops[len(ops)-1]
		smallest = base.MakeInternalKey(first.key, 0, first.kind)
		largest = base.MakeInternalKey(last.key, 0, last.kind)
	}
	if len(dels) > 0 {
		start := base.MakeInternalKey(dels[0].Start, 0, base.KindRangeDelete)
		end := base.MakeInternalKey(dels[len(dels)-1].End, base.SeqNumMax, base.KindRangeDelete)
		if len(ops) == 0 || bytes.Compare(start.UserKey, smallest.UserKey) < 0 {
			smallest = start
		}
		// The sentinel sorts before a point entry of the same user key
		// (higher seqnum), so an equal user key keeps the point entry.
		if len(ops) == 0 || bytes.Compare(end.UserKey, largest.UserKey) > 0 {
			largest = end
		}
	}
	return smallest, largest, len(ops) == 0 && len(dels) == 0
}
