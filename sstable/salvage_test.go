package sstable

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
)

// salvaged is what a Salvage of a table yielded.
type salvaged struct {
	s       *Salvage
	entries []kv
}

// salvageTable salvages f and reads every entry.
func salvageTable(t *testing.T, f *memFile) salvaged {
	t.Helper()
	s, err := OpenSalvage(f, int64(len(f.data)), ReaderOptions{Comparer: base.DefaultComparer, FileName: testFileName})
	if err != nil {
		t.Fatalf("OpenSalvage: %v", err)
	}
	out := salvaged{s: s}
	it := s.NewIter()
	for it.Next() {
		out.entries = append(out.entries, kv{it.Key().Clone(), bytes.Clone(it.Value())})
	}
	if err := it.Error(); err != nil {
		t.Fatalf("SalvageIter: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

// salvageTestTable is a table of a few KiB with small blocks, range
// tombstones and point tombstones.
func salvageTestTable(t *testing.T, c Compression) (*memFile, []kv, []RangeDel) {
	t.Helper()
	entries := numbered(100)
	for i := 3; i < len(entries); i += 7 {
		entries[i] = del(string(entries[i].key.UserKey), entries[i].key.SeqNum())
	}
	dels := []RangeDel{rangeDel("key000010", "key000020", 900), rangeDel("key000090", "key000200", 901)}
	f, _ := buildTableWithRangeDels(t, WriterOptions{BlockSize: 256, RestartInterval: 4, Compression: c}, entries, dels)
	sortRangeDels(base.DefaultComparer, dels)
	return f, entries, dels
}

// checkSalvaged checks the promise of a salvage against what was written:
// every entry yielded was written, in order; every entry written and not
// yielded lies within a reported loss of point entries; the tombstones
// are exactly those written unless a loss of tombstones is reported, and
// none are invented.
func checkSalvaged(t *testing.T, what string, got salvaged, entries []kv, dels []RangeDel) {
	t.Helper()
	cmp := base.DefaultComparer
	j := 0
	for _, e := range got.entries {
		for j < len(entries) && !equalKV(cmp, entries[j], e) {
			if !lostIn(got.s.Damage, LostPoints, entries[j].key.UserKey) {
				t.Fatalf("%s: entry %s neither salvaged nor reported lost (damage %v)", what, entries[j].key, got.s.Damage)
			}
			j++
		}
		if j == len(entries) {
			t.Fatalf("%s: salvaged entry %s was not written, or out of order", what, e)
		}
		j++
	}
	for ; j < len(entries); j++ {
		if !lostIn(got.s.Damage, LostPoints, entries[j].key.UserKey) {
			t.Fatalf("%s: entry %s neither salvaged nor reported lost (damage %v)", what, entries[j].key, got.s.Damage)
		}
	}
	same := slices.EqualFunc(got.s.RangeDels, dels, func(a, b RangeDel) bool {
		return a.Seq == b.Seq && bytes.Equal(a.Start, b.Start) && bytes.Equal(a.End, b.End)
	})
	switch {
	case same:
	case len(got.s.RangeDels) > 0:
		t.Fatalf("%s: salvaged tombstones %v, want %v or none", what, got.s.RangeDels, dels)
	default:
		for _, d := range dels {
			if !lostIn(got.s.Damage, LostRangeDels, d.Start) {
				t.Fatalf("%s: tombstone %s neither salvaged nor reported lost (damage %v)", what, d, got.s.Damage)
			}
		}
	}
}

// lostIn reports whether a damage of kind lost covers user key k.
func lostIn(damage []SalvageDamage, lost SalvageLoss, k []byte) bool {
	for _, d := range damage {
		if d.Lost != lost {
			continue
		}
		if (!d.HasSmallest || bytes.Compare(d.Smallest, k) <= 0) && (!d.HasLargest || bytes.Compare(k, d.Largest) <= 0) {
			return true
		}
	}
	return false
}

// losses counts the damage that lost entries or tombstones.
func losses(damage []SalvageDamage) int {
	n := 0
	for _, d := range damage {
		if d.Lost != LostNothing {
			n++
		}
	}
	return n
}

func TestSalvageIntact(t *testing.T) {
	for _, c := range compressions {
		f, entries, dels := salvageTestTable(t, c)
		got := salvageTable(t, f)
		if !got.s.ByIndex || len(got.s.Damage) != 0 || len(got.entries) != len(entries) {
			t.Fatalf("%s: by index %v, damage %v, %d of %d entries", c, got.s.ByIndex, got.s.Damage, len(got.entries), len(entries))
		}
		checkSalvaged(t, c.String(), got, entries, dels)
	}
}

// TestSalvageDataBlock damages one data block: only its entries are lost,
// reported with its byte range and the keys of the blocks around it.
func TestSalvageDataBlock(t *testing.T) {
	f, entries, dels := salvageTestTable(t, NoCompression)
	r := openTable(t, f.reopen(), nil)
	if len(r.index) < 5 {
		t.Fatalf("%d data blocks, want several", len(r.index))
	}
	const j = 2
	h := r.index[j].handle
	bad := f.reopen()
	bad.data[h.offset+5] ^= 0xff
	got := salvageTable(t, bad)
	checkSalvaged(t, "data block 2", got, entries, dels)
	d := got.s.Damage
	if len(d) != 1 || d[0].Offset != int64(h.offset) || d[0].End != int64(h.end()) || d[0].Lost != LostPoints ||
		!bytes.Equal(d[0].Smallest, r.index[j-1].lastKey.UserKey) || !bytes.Equal(d[0].Largest, r.index[j].lastKey.UserKey) {
		t.Fatalf("damage %v, want data block [%d, %d)", d, h.offset, h.end())
	}
	if want := len(entries) - len(got.entries); want <= 0 {
		t.Fatal("nothing was lost")
	}
}

// TestSalvageEveryByte flips every byte of a table in turn (every third
// of a compressed one) and checks the salvage against what was written.
// Flips outside the data blocks and the range-deletion block must lose
// nothing: the walk finds the data blocks when the footer or index is
// damaged, and the tail parse recognizes the blocks after them when the
// footer is.
func TestSalvageEveryByte(t *testing.T) {
	for _, c := range []Compression{NoCompression, SnappyCompression} {
		f, entries, dels := salvageTestTable(t, c)
		r := openTable(t, f.reopen(), nil)
		dataEnd, rangeDelEnd := r.footer.rangeDel.offset, r.footer.rangeDel.end()
		stride := 1
		if c != NoCompression {
			stride = 3
		}
		for off := 0; off < len(f.data); off += stride {
			bad := f.reopen()
			bad.data[off] ^= 0xff
			what := fmt.Sprintf("%s: flip at %d of %d", c, off, len(f.data))
			got := salvageTable(t, bad)
			checkSalvaged(t, what, got, entries, dels)
			if uint64(off) >= rangeDelEnd && losses(got.s.Damage) != 0 {
				t.Fatalf("%s (after the data and tombstones): lost %v", what, got.s.Damage)
			}
			if uint64(off) < dataEnd && len(got.s.RangeDels) != len(dels) {
				t.Fatalf("%s (in the data): tombstones lost", what)
			}
		}
	}
}

// TestSalvageTruncated cuts the table at many lengths and zeroes its tail:
// what precedes the damage is salvaged, the rest reported.
func TestSalvageTruncated(t *testing.T) {
	f, entries, dels := salvageTestTable(t, NoCompression)
	for n := 0; n < len(f.data); n += 37 {
		cut := &memFile{data: bytes.Clone(f.data[:n])}
		checkSalvaged(t, fmt.Sprintf("cut at %d", n), salvageTable(t, cut), entries, dels)
		zeroed := f.reopen()
		clear(zeroed.data[n:])
		checkSalvaged(t, fmt.Sprintf("zeroed from %d", n), salvageTable(t, zeroed), entries, dels)
	}
}

// TestSalvageFooterOnly: a table whose only damage is its footer loses
// nothing, for tables with and without tombstones and with bloom filters
// of a few bits (which may start with zeros that look like an empty
// block).
func TestSalvageFooterOnly(t *testing.T) {
	for _, n := range []int{1, 2, 5, 150} {
		for _, withDels := range []bool{false, true} {
			var dels []RangeDel
			if withDels {
				dels = []RangeDel{rangeDel("a", "b", 5)}
			}
			f, _ := buildTableWithRangeDels(t, WriterOptions{BlockSize: 256}, numbered(n), dels)
			bad := f.reopen()
			bad.data[len(bad.data)-1] ^= 0xff
			got := salvageTable(t, bad)
			what := fmt.Sprintf("%d entries, tombstones %v", n, withDels)
			checkSalvaged(t, what, got, numbered(n), dels)
			if got.s.ByIndex || losses(got.s.Damage) != 0 || got.s.Props == nil {
				t.Fatalf("%s: by index %v, props %v, damage %v", what, got.s.ByIndex, got.s.Props != nil, got.s.Damage)
			}
		}
	}
}

func TestSalvageComparerMismatch(t *testing.T) {
	f, _, _ := salvageTestTable(t, NoCompression)
	_, err := OpenSalvage(f, int64(len(f.data)), ReaderOptions{Comparer: base.FixedSuffixComparer(2), FileName: testFileName})
	if !errors.Is(err, base.ErrInvalidArgument) {
		t.Fatalf("OpenSalvage with another comparer: %v", err)
	}
	if !f.closed {
		t.Fatal("the file was not closed")
	}
}

func TestFileName(t *testing.T) {
	for _, num := range []base.FileNum{0, 12, 999999, 1234567} {
		if got, ok := ParseFileName(FileName(num)); !ok || got != num {
			t.Fatalf("ParseFileName(%q) = %d, %v", FileName(num), got, ok)
		}
	}
	for _, name := range []string{"12.sst", "0000012.sst", "000012.log", ".sst", "+00012.sst", "00001a.sst"} {
		if _, ok := ParseFileName(name); ok {
			t.Fatalf("ParseFileName(%q) accepted", name)
		}
	}
}
