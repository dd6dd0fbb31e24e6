package sstable

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"unsafe"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/cache"
)

// sentinel is the exclusive largest key left by a tombstone ending at end.
func sentinel(end string) base.InternalKey {
	return base.MakeInternalKey([]byte(end), base.SeqNumMax, base.KindRangeDelete)
}

func requireKey(t testing.TB, what string, got, want base.InternalKey) {
	t.Helper()
	if !sameKey(got, want) {
		t.Fatalf("%s = %s, want %s", what, got, want)
	}
}

func requireRangeDels(t testing.TB, got, want []RangeDel) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d range tombstones %v, want %d %v", len(got), got, len(want), want)
	}
	for i := range got {
		if got[i].Seq != want[i].Seq || !bytes.Equal(got[i].Start, want[i].Start) || !bytes.Equal(got[i].End, want[i].End) {
			t.Fatalf("range tombstone %d = %s, want %s", i, got[i], want[i])
		}
	}
}

func TestRangeDelOnlyTable(t *testing.T) {
	dels := []RangeDel{rangeDel("m", "p", 30), rangeDel("c", "f", 20), rangeDel("c", "k", 40)}
	for _, c := range compressions {
		t.Run(c.String(), func(t *testing.T) {
			f, m := buildTableWithRangeDels(t, WriterOptions{Compression: c}, nil, dels)
			if m.EntryCount != 0 || m.RangeDelCount != 3 || m.SmallestSeq != 20 || m.LargestSeq != 40 {
				t.Fatalf("meta = %+v", m)
			}
			requireKey(t, "Meta.Smallest", m.Smallest, base.MakeInternalKey([]byte("c"), 40, base.KindRangeDelete))
			requireKey(t, "Meta.Largest", m.Largest, sentinel("p"))
			if !m.Largest.IsExclusiveSentinel() || m.Smallest.IsExclusiveSentinel() {
				t.Fatal("IsExclusiveSentinel misjudges the bounds")
			}
			r := openTable(t, f, nil)
			requireRangeDels(t, r.RangeDels(),
				[]RangeDel{rangeDel("c", "k", 40), rangeDel("c", "f", 20), rangeDel("m", "p", 30)})
			p := r.Properties()
			if p.EntryCount != 0 || p.RangeDelCount != 3 || p.DataBlockCount != 0 || len(r.index) != 0 ||
				p.SmallestSeq != 20 || p.LargestSeq != 40 {
				t.Fatalf("properties = %+v, %d index entries", p, len(r.index))
			}
			requireKey(t, "Properties.Smallest", p.Smallest, m.Smallest)
			requireKey(t, "Properties.Largest", p.Largest, m.Largest)
			if r.MayContainPrefix([]byte("d")) {
				t.Fatal("a table without point entries may contain a point key")
			}
			it := r.NewIter()
			for name, ok := range map[string]bool{
				"First": it.First(), "Last": it.Last(),
				"SeekGE": it.SeekGE(ikey("d", 1, base.KindSet)), "SeekLT": it.SeekLT(ikey("z", 1, base.KindSet)),
			} {
				if ok {
					t.Fatalf("%s on a table of tombstones returned an entry", name)
				}
			}
			if err := it.Close(); err != nil {
				t.Fatal(err)
			}
			if err := r.VerifyChecksums(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestRangeDelEmptyTableHasEmptyBlock(t *testing.T) {
	f, m := buildTable(t, WriterOptions{}, nil)
	r := openTable(t, f, nil)
	if r.RangeDels() != nil || m.RangeDelCount != 0 || r.footer.rangeDel.size != 1 || r.footer.rangeDel.offset != 0 {
		t.Fatalf("range-deletion block %+v, tombstones %v", r.footer.rangeDel, r.RangeDels())
	}
	if f.data[0] != 0 {
		t.Fatalf("empty range-deletion block holds %#x, want count 0", f.data[0])
	}
}

// Table bounds cover point entries and tombstones alike; a tombstone that
// reaches past the last point key leaves the exclusive sentinel as the
// largest key.
func TestRangeDelBounds(t *testing.T) {
	for _, tc := range []struct {
		name              string
		entries           []kv
		dels              []RangeDel
		smallest, largest base.InternalKey
		minSeq, maxSeq    base.SeqNum
	}{{
		name:     "tombstone below and past the points",
		entries:  []kv{set("c", 10, "x"), set("d", 11, "y")},
		dels:     []RangeDel{rangeDel("a", "z", 5)},
		smallest: ikey("a", 5, base.KindRangeDelete), largest: sentinel("z"), minSeq: 5, maxSeq: 11,
	}, {
		name:     "points outside the tombstones",
		entries:  []kv{set("a", 10, "x"), del("z", 11)},
		dels:     []RangeDel{rangeDel("c", "d", 50), rangeDel("b", "e", 2)},
		smallest: ikey("a", 10, base.KindSet), largest: ikey("z", 11, base.KindDelete), minSeq: 2, maxSeq: 50,
	}, {
		// {"e", 11} sorts after {"e", SeqNumMax}: the point key is larger.
		name:     "point at the tombstone's end",
		entries:  []kv{set("e", 11, "x")},
		dels:     []RangeDel{rangeDel("b", "e", 12)},
		smallest: ikey("b", 12, base.KindRangeDelete), largest: ikey("e", 11, base.KindSet), minSeq: 11, maxSeq: 12,
	}, {
		name:     "point just below the tombstone's end",
		entries:  []kv{set("d", 11, "x")},
		dels:     []RangeDel{rangeDel("b", "e", 3)},
		smallest: ikey("b", 3, base.KindRangeDelete), largest: sentinel("e"), minSeq: 3, maxSeq: 11,
	}, {
		name:     "tie at the smallest key keeps the point",
		entries:  []kv{set("b", 7, "x")},
		dels:     []RangeDel{rangeDel("b", "c", 7)},
		smallest: ikey("b", 7, base.KindSet), largest: sentinel("c"), minSeq: 7, maxSeq: 7,
	}, {
		name:     "older tombstone at the first point key",
		entries:  []kv{set("b", 7, "x")},
		dels:     []RangeDel{rangeDel("b", "c", 6)},
		smallest: ikey("b", 7, base.KindSet), largest: sentinel("c"), minSeq: 6, maxSeq: 7,
	}, {
		name:     "newer tombstone at the first point key",
		entries:  []kv{set("b", 7, "x")},
		dels:     []RangeDel{rangeDel("b", "c", 9), rangeDel("b", "bb", 8)},
		smallest: ikey("b", 9, base.KindRangeDelete), largest: sentinel("c"), minSeq: 7, maxSeq: 9,
	}, {
		name:     "greatest end is not the last tombstone's",
		dels:     []RangeDel{rangeDel("a", "x", 1), rangeDel("b", "c", 2)},
		smallest: ikey("a", 1, base.KindRangeDelete), largest: sentinel("x"), minSeq: 1, maxSeq: 2,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			f, m := buildTableWithRangeDels(t, WriterOptions{}, tc.entries, tc.dels)
			requireKey(t, "Meta.Smallest", m.Smallest, tc.smallest)
			requireKey(t, "Meta.Largest", m.Largest, tc.largest)
			if m.SmallestSeq != tc.minSeq || m.LargestSeq != tc.maxSeq {
				t.Fatalf("Meta seqnums [%d, %d], want [%d, %d]", m.SmallestSeq, m.LargestSeq, tc.minSeq, tc.maxSeq)
			}
			r := openTable(t, f, nil)
			p := r.Properties()
			requireKey(t, "Properties.Smallest", p.Smallest, tc.smallest)
			requireKey(t, "Properties.Largest", p.Largest, tc.largest)
			if p.SmallestSeq != tc.minSeq || p.LargestSeq != tc.maxSeq || p.RangeDelCount != uint64(len(tc.dels)) {
				t.Fatalf("properties = %+v", p)
			}
			if err := r.VerifyChecksums(); err != nil {
				t.Fatal(err)
			}
			requireEntries(t, r.cmp, scanForward(t, r), tc.entries)
		})
	}
}

// Tombstones come back sorted by start, then seqnum descending, then end,
// whatever order they were added in; repeats are kept.
func TestRangeDelSortOrder(t *testing.T) {
	added := []RangeDel{
		rangeDel("k", "m", 5), rangeDel("a", "c", 1), rangeDel("k", "z", 9), rangeDel("a", "b", 1),
		rangeDel("", "a", 3), rangeDel("k", "l", 9), rangeDel("a", "c", 1), rangeDel("b", "c", base.SeqNumMax),
	}
	want := []RangeDel{
		rangeDel("", "a", 3), rangeDel("a", "b", 1), rangeDel("a", "c", 1), rangeDel("a", "c", 1),
		rangeDel("b", "c", base.SeqNumMax), rangeDel("k", "l", 9), rangeDel("k", "z", 9), rangeDel("k", "m", 5),
	}
	f, m := buildTableWithRangeDels(t, WriterOptions{}, numbered(3), added)
	if m.RangeDelCount != uint64(len(want)) || m.LargestSeq != base.SeqNumMax {
		t.Fatalf("meta = %+v", m)
	}
	requireKey(t, "Meta.Smallest", m.Smallest, ikey("", 3, base.KindRangeDelete))
	requireKey(t, "Meta.Largest", m.Largest, sentinel("z"))
	r := openTable(t, f, nil)
	requireRangeDels(t, r.RangeDels(), want)
	if err := r.VerifyChecksums(); err != nil {
		t.Fatal(err)
	}
	// The keys are capped: appending to one cannot write into the next.
	d := r.RangeDels()[1]
	if cap(d.Start) != len(d.Start) || cap(d.End) != len(d.End) {
		t.Fatalf("tombstone keys are not capped: cap %d, %d", cap(d.Start), cap(d.End))
	}
}

// AddRangeDel copies its arguments.
func TestRangeDelWriterCopies(t *testing.T) {
	f := &memFile{}
	w := NewWriter(f, WriterOptions{Comparer: base.DefaultComparer})
	start, end := []byte("a"), []byte("b")
	if err := w.AddRangeDel(start, end, 4); err != nil {
		t.Fatal(err)
	}
	start[0], end[0] = 'x', 'y'
	m, err := w.Finish()
	if err != nil {
		t.Fatal(err)
	}
	requireKey(t, "Meta.Largest", m.Largest, sentinel("b"))
	requireRangeDels(t, openTable(t, f.reopen(), nil).RangeDels(), []RangeDel{rangeDel("a", "b", 4)})
}

func TestRangeDelWriterRejects(t *testing.T) {
	for _, tc := range []struct {
		name       string
		start, end string
		seq        base.SeqNum
	}{
		{"empty range", "b", "b", 1},
		{"inverted range", "c", "b", 1},
		{"both empty", "", "", 1},
		{"seqnum overflow", "a", "b", base.SeqNumMax + 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := NewWriter(&memFile{}, WriterOptions{Comparer: base.DefaultComparer})
			if err := w.Add(ikey("a", 1, base.KindSet), nil); err != nil {
				t.Fatal(err)
			}
			err := w.AddRangeDel([]byte(tc.start), []byte(tc.end), tc.seq)
			if !errors.Is(err, base.ErrInvalidArgument) {
				t.Fatalf("AddRangeDel = %v", err)
			}
			if err2 := w.Add(ikey("b", 1, base.KindSet), nil); err2 != err {
				t.Fatalf("Add after a failed AddRangeDel = %v, want %v", err2, err)
			}
			if err2 := w.AddRangeDel([]byte("a"), []byte("b"), 1); err2 != err {
				t.Fatalf("AddRangeDel after a failed AddRangeDel = %v, want %v", err2, err)
			}
			if _, err2 := w.Finish(); err2 != err {
				t.Fatalf("Finish after a failed AddRangeDel = %v, want %v", err2, err)
			}
		})
	}
	w := NewWriter(&memFile{}, WriterOptions{Comparer: base.DefaultComparer})
	if _, err := w.Finish(); err != nil {
		t.Fatal(err)
	}
	if err := w.AddRangeDel([]byte("a"), []byte("b"), 1); !errors.Is(err, base.ErrClosed) {
		t.Fatalf("AddRangeDel after Finish = %v", err)
	}
}

func TestRangeDelBlockRoundTrip(t *testing.T) {
	cmp := base.DefaultComparer
	dels := []RangeDel{rangeDel("", "a", base.SeqNumMax), rangeDel("a", "b", 0), rangeDel("a", "b", 0), rangeDel("abc", "abd", 9)}
	b := encodeRangeDels(nil, dels)
	got, err := decodeRangeDels(b, cmp, "f", 0)
	if err != nil {
		t.Fatal(err)
	}
	requireRangeDels(t, got, dels)
	// The documented layout, by hand.
	var want []byte
	want = append(want, 4)
	want = append(want, 0, 1, 'a')
	want = binary.LittleEndian.AppendUint64(want, uint64(base.SeqNumMax))
	for range 2 {
		want = append(want, 1, 'a', 1, 'b')
		want = binary.LittleEndian.AppendUint64(want, 0)
	}
	want = append(want, 3, 'a', 'b', 'c', 3, 'a', 'b', 'd')
	want = binary.LittleEndian.AppendUint64(want, 9)
	if !bytes.Equal(b, want) {
		t.Fatalf("encoded %x, want %x", b, want)
	}
	// Every truncation is rejected.
	for n := range len(b) {
		if _, err := decodeRangeDels(b[:n], cmp, "f", 0); !errors.Is(err, base.ErrCorruption) {
			t.Fatalf("block truncated to %d bytes: %v", n, err)
		}
	}
	if _, err := decodeRangeDels(append(b, 0), cmp, "f", 0); !errors.Is(err, base.ErrCorruption) {
		t.Fatalf("block with a trailing byte: %v", err)
	}
	if got, err := decodeRangeDels([]byte{0}, cmp, "f", 0); err != nil || got != nil {
		t.Fatalf("empty block = %v, %v", got, err)
	}
}

func TestRangeDelBlockRejectsCorrupt(t *testing.T) {
	cmp := base.DefaultComparer
	seq := func(s uint64) []byte { return binary.LittleEndian.AppendUint64(nil, s) }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	for name, tc := range map[string]struct {
		block []byte
		msg   string
	}{
		"empty block":       {nil, "bad count"},
		"start equals end":  {cat([]byte{1, 1, 'a', 1, 'a'}, seq(1)), "not before end"},
		"start after end":   {cat([]byte{1, 1, 'b', 1, 'a'}, seq(1)), "not before end"},
		"seqnum overflow":   {cat([]byte{1, 1, 'a', 1, 'b'}, seq(1<<56)), "overflows"},
		"starts disordered": {cat([]byte{2, 1, 'b', 1, 'c'}, seq(1), []byte{1, 'a', 1, 'c'}, seq(1)), "out of order"},
		"seqnums ascending": {cat([]byte{2, 1, 'a', 1, 'c'}, seq(1), []byte{1, 'a', 1, 'c'}, seq(2)), "out of order"},
		"ends disordered":   {cat([]byte{2, 1, 'a', 1, 'd'}, seq(1), []byte{1, 'a', 1, 'c'}, seq(1)), "out of order"},
		"start overruns":    {cat([]byte{1, 200, 'a', 1, 'b'}, seq(1)), "start length"},
		"end overruns":      {cat([]byte{1, 1, 'a', 30, 'b'}, seq(1)), "end length"},
		"huge count":        {cat([]byte{0xff, 0xff, 0xff, 0xff, 0x0f, 1, 'a', 1, 'b'}, seq(1)), "does not fit"},
		"count too large":   {cat([]byte{2, 1, 'a', 1, 'b'}, seq(1)), "does not fit"},
		"stray bytes":       {cat([]byte{1, 1, 'a', 1, 'b'}, seq(1), []byte{0}), "stray"},
		"stray after zero":  {[]byte{0, 0}, "stray"},
		"bad uvarint count": {[]byte{0x80}, "bad count"},
	} {
		_, err := decodeRangeDels(tc.block, cmp, "f", 100)
		if !errors.Is(err, base.ErrCorruption) || !strings.Contains(err.Error(), tc.msg) ||
			!strings.Contains(err.Error(), "range-deletion block") {
			t.Errorf("%s: %v (want %q)", name, err, tc.msg)
		}
	}
}

// Open cross-checks the properties against the tombstones and the index.
func TestRangeDelCheckBounds(t *testing.T) {
	f, _ := buildTableWithRangeDels(t, WriterOptions{}, []kv{set("c", 10, "x"), set("d", 11, "y")},
		[]RangeDel{rangeDel("a", "e", 5), rangeDel("b", "z", 20)})
	r := openTable(t, f, nil)
	good := r.props
	if err := r.checkBounds(); err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(p *Properties){
		"range deletion count": func(p *Properties) { p.RangeDelCount = 1 },
		"largest is a point":   func(p *Properties) { p.Largest = ikey("d", 11, base.KindSet) },
		"largest not sentinel": func(p *Properties) { p.Largest = ikey("z", 1, base.KindRangeDelete) },
		"largest past the end": func(p *Properties) { p.Largest = sentinel("zz") },
		"smallest too large":   func(p *Properties) { p.Smallest = ikey("c", 10, base.KindSet) },
		"smallest past index":  func(p *Properties) { p.Smallest = ikey("e", 10, base.KindSet) },
		"smallest seqnum":      func(p *Properties) { p.SmallestSeq = 6 },
		"largest seqnum":       func(p *Properties) { p.LargestSeq = 19 },
	} {
		r.props = good
		mutate(&r.props)
		if err := r.checkBounds(); !errors.Is(err, base.ErrCorruption) {
			t.Errorf("%s: checkBounds = %v", name, err)
		}
	}
	// The smallest key is only bounded at Open; VerifyChecksums checks it
	// against the first point key.
	r.props = good
	r.props.Smallest = ikey("a", 6, base.KindSet)
	if err := r.checkBounds(); err != nil {
		t.Fatalf("checkBounds with a smaller smallest key: %v", err)
	}
	if err := r.VerifyChecksums(); !errors.Is(err, base.ErrCorruption) {
		t.Fatalf("VerifyChecksums with a wrong smallest key: %v", err)
	}
	r.props = good
	r.rangeDels = r.rangeDels[:1]
	if err := r.VerifyChecksums(); !errors.Is(err, base.ErrCorruption) {
		t.Fatalf("VerifyChecksums with a tombstone missing: %v", err)
	}
}

// The tombstones are charged to the block cache with the index and the
// filter while the Reader is open.
func TestRangeDelCacheReservation(t *testing.T) {
	var dels []RangeDel
	for i := range 200 {
		dels = append(dels, RangeDel{Start: []byte{'a', byte(i)}, End: []byte{'b', byte(i)}, Seq: base.SeqNum(i)})
	}
	plain, _ := buildTable(t, WriterOptions{}, numbered(50))
	withDels, _ := buildTableWithRangeDels(t, WriterOptions{}, numbered(50), dels)
	bc := cache.New(1 << 20)
	r1 := openCached(t, plain, bc, 0, 0)
	base1 := bc.Metrics().Reserved
	r2 := openCached(t, withDels, bc, 0, 0)
	extra := bc.Metrics().Reserved - 2*base1
	block := int64(len(encodeRangeDels(nil, r2.RangeDels())) - 1) // the plain table's block is 1 byte
	if want := block + int64(len(dels))*int64(unsafe.Sizeof(RangeDel{})); extra != want {
		t.Fatalf("tombstones charged %d bytes, want %d", extra, want)
	}
	for _, r := range []*Reader{r1, r2} {
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if m := bc.Metrics(); m.Reserved != 0 || m.Count != 0 {
		t.Fatalf("cache after Close: %+v", m)
	}
}
