package sstable

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
)

// requireCorruption fails unless err is nil or a corruption error.
func requireCorruption(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil && !errors.Is(err, base.ErrCorruption) {
		t.Fatalf("%s: %v is not a corruption error", what, err)
	}
}

// FuzzBlock decodes arbitrary bytes as a data block and drives an iterator
// over it. Decoding must not panic and must fail only with corruption
// errors; when both full scans succeed they must agree.
func FuzzBlock(f *testing.F) {
	f.Add(buildBlock(1, numbered(3)))
	f.Add(buildBlock(2, numbered(9)))
	f.Add(buildBlock(16, []kv{set("a", 3, ""), del("a", 2), set("ab", 9, "v"), set("b", 1, "x")}))
	f.Add(buildBlock(3, []kv{set("", 3, ""), set("", 2, "y")}))
	f.Add([]byte{0, 0, 0, 0})
	f.Add([]byte{})
	f.Fuzz(fuzzBlockIter)
}

// fuzzBlockIter drives a block iterator over data (see FuzzBlock).
func fuzzBlockIter(t *testing.T, data []byte) {
	it := &blockIter{}
	if err := it.init(base.DefaultComparer, data, "fuzz", 0); err != nil {
		requireCorruption(t, "init", err)
		return
	}
	var fwd, bwd []kv
	for ok := it.First(); ok; ok = it.Next() {
		fwd = append(fwd, kv{it.key().Clone(), bytes.Clone(it.val)})
	}
	fwdErr := it.err
	requireCorruption(t, "forward", fwdErr)
	it.err = nil
	for ok := it.Last(); ok; ok = it.Prev() {
		bwd = append(bwd, kv{it.key().Clone(), bytes.Clone(it.val)})
	}
	bwdErr := it.err
	requireCorruption(t, "backward", bwdErr)
	if fwdErr == nil && bwdErr == nil {
		requireEntries(t, base.DefaultComparer, bwd, reversed(fwd))
	}
	for _, e := range fwd {
		for _, seek := range []func(base.InternalKey) bool{it.SeekGE, it.SeekLT} {
			it.err = nil
			if seek(e.key) {
				it.Next()
				it.Prev()
				it.Prev()
			}
			requireCorruption(t, "seek", it.err)
		}
	}
}

// FuzzCompressedBlock decompresses arbitrary bytes as a block stored with
// compression c, then decodes the result as a data block (FuzzBlock).
// Decompression must not panic, must fail only with corruption errors and
// must yield exactly the declared length, which stays within
// maxDecodedBlockLen.
func FuzzCompressedBlock(f *testing.F) {
	blocks := [][]byte{
		buildBlock(1, numbered(3)),
		buildBlock(16, numbered(60)),
		buildBlock(16, []kv{set("a", 3, ""), del("a", 2), set("ab", 9, "v"), set("b", 1, "x")}),
		bytes.Repeat([]byte{0}, 100),
	}
	for _, c := range []Compression{SnappyCompression, ZstdCompression} {
		for _, b := range blocks {
			stored, ok := encodeBlock(c, nil, b)
			if !ok {
				f.Fatalf("%s: cannot encode", c)
			}
			f.Add(byte(c), stored)
		}
	}
	f.Add(byte(ZstdCompression), []byte{0})
	f.Add(byte(SnappyCompression), []byte{})
	f.Fuzz(func(t *testing.T, c byte, data []byte) {
		block, err := decompressBlock(Compression(c), data, "fuzz", 0, cacheAlloc)
		if err != nil {
			requireCorruption(t, "decompress", err)
			return
		}
		if c != byte(NoCompression) {
			n, _ := binary.Uvarint(data)
			if uint64(len(block)) != n || n > maxDecodedBlockLen {
				t.Fatalf("decoded %d bytes, declared %d", len(block), n)
			}
		}
		fuzzBlockIter(t, block)
	})
}

// FuzzIndex decodes arbitrary bytes as an index block. The encoding is
// canonical, so whatever decodes must re-encode to the same bytes.
func FuzzIndex(f *testing.F) {
	var w indexWriter
	w.add(ikey("apple", 5, base.KindSet), blockHandle{offset: 0, size: 100})
	w.add(ikey("banana", 1, base.KindDelete), blockHandle{offset: 109, size: 50})
	b, _ := w.finish()
	f.Add(b)
	var empty indexWriter
	b, _ = empty.finish()
	f.Add(b)
	f.Add([]byte{1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := decodeIndex(data, "fuzz", 0)
		if err != nil {
			requireCorruption(t, "decode", err)
			return
		}
		var w indexWriter
		for _, e := range entries {
			w.add(e.lastKey, e.handle)
		}
		again, err := w.finish()
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("re-encoded index differs: %x vs %x (%v)", again, data, err)
		}
		requireCorruption(t, "validate", validateIndex(entries, uint64(len(data)), base.DefaultComparer, "fuzz", 0))
		for _, e := range entries {
			searchIndex(entries, base.DefaultComparer, e.lastKey)
		}
	})
}

// FuzzFooter decodes arbitrary bytes as a footer.
func FuzzFooter(f *testing.F) {
	ft := footer{
		rangeDel: blockHandle{offset: 90, size: 1},
		bloom:    blockHandle{offset: 100, size: 2}, bloomK: 1, bloomM: 16,
		props: blockHandle{offset: 111, size: 10},
		index: blockHandle{offset: 130, size: 10}, version: FormatVersion,
	}
	f.Add(ft.encode())
	ft.version = FormatVersion + 1
	f.Add(ft.encode())
	f.Add(make([]byte, footerLen))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := decodeFooter(data, "fuzz", 0)
		if err != nil {
			requireCorruption(t, "decode", err)
			return
		}
		if !bytes.Equal(got.encode(), data) {
			t.Fatalf("re-encoded footer differs")
		}
		requireCorruption(t, "validate", got.validate(149, "fuzz"))
		requireCorruption(t, "validate", got.validate(1<<63, "fuzz"))
	})
}

// FuzzProperties decodes arbitrary bytes as a properties block.
func FuzzProperties(f *testing.F) {
	p := Properties{
		ComparerName: "c", EntryCount: 2, DeletionCount: 1,
		Smallest: ikey("a", 5, base.KindSet), Largest: ikey("b", 7, base.KindSet),
		SmallestSeq: 5, LargestSeq: 7, DataBlockCount: 1, FormatVersion: FormatVersion,
	}
	f.Add(p.encode(nil))
	p.RangeDelCount, p.Largest = 3, sentinel("c")
	f.Add(p.encode(nil))
	f.Add((&Properties{
		ComparerName: "c", RangeDelCount: 1, Smallest: ikey("a", 5, base.KindRangeDelete), Largest: sentinel("b"),
		SmallestSeq: 5, LargestSeq: 5, FormatVersion: FormatVersion,
	}).encode(nil))
	f.Add((&Properties{FormatVersion: FormatVersion}).encode(nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := decodeProperties(data, "fuzz", 0)
		if err != nil {
			requireCorruption(t, "decode", err)
			return
		}
		again, err := decodeProperties(got.encode(nil), "fuzz", 0)
		if err != nil || again.EntryCount != got.EntryCount || again.ComparerName != got.ComparerName ||
			again.RangeDelCount != got.RangeDelCount || !sameKey(again.Smallest, got.Smallest) ||
			!bytes.Equal(again.Largest.UserKey, got.Largest.UserKey) {
			t.Fatalf("properties do not round-trip: %+v vs %+v (%v)", again, got, err)
		}
	})
}

// fuzzRangeDels returns n overlapping tombstones with shared prefixes
// (compressible).
func fuzzRangeDels(n int) []RangeDel {
	dels := make([]RangeDel, n)
	for i := range dels {
		dels[i] = RangeDel{
			Start: fmt.Appendf(nil, "key%06d", i), End: fmt.Appendf(nil, "key%06d", 2*i+1), Seq: base.SeqNum(100 + i%3),
		}
	}
	return dels
}

// FuzzRangeDelBlock decodes arbitrary bytes as a range-deletion block,
// with the default comparer or one with 8-byte suffixes. Decoding must not
// panic and must fail only with corruption errors; what decodes is
// well-formed (Start < End, block order) and survives a round trip.
func FuzzRangeDelBlock(f *testing.F) {
	for _, dels := range [][]RangeDel{
		nil,
		{rangeDel("a", "b", 1)},
		{rangeDel("", "a", base.SeqNumMax), rangeDel("a", "c", 7), rangeDel("a", "b", 7), rangeDel("a", "b", 7)},
		fuzzRangeDels(10),
	} {
		sortRangeDels(base.DefaultComparer, dels)
		f.Add(false, encodeRangeDels(nil, dels))
	}
	suffixed := []RangeDel{
		{Start: []byte("a\x00\x00\x00\x00\x00\x00\x00\x09"), End: []byte("a\x00\x00\x00\x00\x00\x00\x00\x01"), Seq: 3},
	}
	f.Add(true, encodeRangeDels(nil, suffixed))
	f.Add(false, []byte{})
	f.Add(false, []byte{1, 0, 1, 'a'})
	f.Fuzz(func(t *testing.T, suffixes bool, data []byte) {
		cmp := base.DefaultComparer
		if suffixes {
			cmp = base.FixedSuffixComparer(8)
		}
		dels, err := decodeRangeDels(data, cmp, "fuzz", 0)
		if err != nil {
			requireCorruption(t, "decode", err)
			return
		}
		for i := range dels {
			if cmp.Compare(dels[i].Start, dels[i].End) >= 0 || !dels[i].Seq.Valid() {
				t.Fatalf("tombstone %d decoded as %s", i, dels[i])
			}
			if i > 0 && compareRangeDels(cmp, &dels[i-1], &dels[i]) > 0 {
				t.Fatalf("tombstones %d and %d out of order", i-1, i)
			}
		}
		again, err := decodeRangeDels(encodeRangeDels(nil, dels), cmp, "fuzz", 0)
		if err != nil {
			t.Fatalf("re-encoded block does not decode: %v", err)
		}
		requireRangeDels(t, again, dels)
		if len(dels) > 0 {
			smallest, largest, minSeq, maxSeq := rangeDelBounds(cmp, dels)
			if cmp.CompareInternal(smallest, largest) >= 0 || minSeq > maxSeq || !largest.IsExclusiveSentinel() {
				t.Fatalf("bounds %s, %s, seqnums [%d, %d]", smallest, largest, minSeq, maxSeq)
			}
		}
	})
}

// FuzzReader opens arbitrary bytes as a table and reads all of it.
func FuzzReader(f *testing.F) {
	for _, tc := range []struct {
		opts    WriterOptions
		entries []kv
	}{
		{WriterOptions{}, nil},
		{WriterOptions{BlockSize: 64}, numbered(20)},
		{WriterOptions{BloomFPR: -1}, []kv{set("a", 2, "x"), del("b", 1)}},
		{WriterOptions{BlockSize: 256, Compression: SnappyCompression}, numbered(40)},
		{WriterOptions{BlockSize: 256, Compression: ZstdCompression}, numbered(40)},
	} {
		mf, _ := buildTable(f, tc.opts, tc.entries)
		f.Add(mf.data)
	}
	for _, tc := range []struct {
		opts    WriterOptions
		entries []kv
		dels    []RangeDel
	}{
		{WriterOptions{}, nil, []RangeDel{rangeDel("a", "c", 5)}},
		{WriterOptions{BlockSize: 64}, numbered(10), []RangeDel{rangeDel("key000002", "key000005", 500), rangeDel("a", "z", 1)}},
		{WriterOptions{Compression: SnappyCompression}, []kv{set("b", 9, "x")}, fuzzRangeDels(20)},
		{WriterOptions{Compression: ZstdCompression}, nil, fuzzRangeDels(20)},
	} {
		mf, _ := buildTableWithRangeDels(f, tc.opts, tc.entries, tc.dels)
		f.Add(mf.data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Open(&memFile{data: data}, int64(len(data)), ReaderOptions{Comparer: base.DefaultComparer})
		if err != nil {
			if !errors.Is(err, base.ErrInvalidArgument) { // a forged comparer name
				requireCorruption(t, "open", err)
			}
			return
		}
		defer r.Close()
		for _, d := range r.RangeDels() {
			if r.cmp.Compare(d.Start, d.End) >= 0 {
				t.Fatalf("opened a table with the empty tombstone %s", d)
			}
		}
		it := r.NewIter()
		for ok := it.First(); ok; ok = it.Next() {
			r.MayContainPrefix(it.Key().UserKey)
		}
		for ok := it.Last(); ok; ok = it.Prev() {
		}
		requireCorruption(t, "scan", it.Close())
		requireCorruption(t, "verify", r.VerifyChecksums())
	})
}
