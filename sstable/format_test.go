package sstable

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/crc"
)

func TestFooterRoundTrip(t *testing.T) {
	f := footer{
		rangeDel: blockHandle{offset: 990, size: 1},
		bloom:    blockHandle{offset: 1000, size: 125}, bloomK: 7, bloomM: 1000,
		props: blockHandle{offset: 1134, size: 80},
		index: blockHandle{offset: 1223, size: 40}, version: 2, // seeded bloom: any m
	}
	b := f.encode()
	if len(b) != footerLen || string(b[:8]) != magic {
		t.Fatalf("encoded footer %x", b)
	}
	// Offsets documented in doc.go.
	le := binary.LittleEndian
	if le.Uint64(b[8:]) != 990 || le.Uint32(b[16:]) != 1 ||
		le.Uint64(b[20:]) != 1000 || le.Uint32(b[28:]) != 125 || le.Uint64(b[32:]) != 7 || le.Uint64(b[40:]) != 1000 ||
		le.Uint64(b[48:]) != 1134 || le.Uint32(b[56:]) != 80 || le.Uint64(b[60:]) != 1223 || le.Uint32(b[68:]) != 40 ||
		le.Uint32(b[72:]) != 2 || le.Uint64(b[76:]) != crc.Checksum(b[:76]) {
		t.Fatalf("footer fields at the wrong offsets: %x", b)
	}
	got, err := decodeFooter(b, "f", 0)
	if err != nil || got != f {
		t.Fatalf("decode = %+v, %v", got, err)
	}
	if err := got.validate(1272, "f"); err != nil {
		t.Fatal(err)
	}
	for i := range footerLen {
		c := append([]byte(nil), b...)
		c[i] ^= 0x01
		if _, err := decodeFooter(c, "f", 0); !errors.Is(err, base.ErrCorruption) {
			t.Fatalf("flip at %d: %v", i, err)
		}
	}
}

func TestFooterValidate(t *testing.T) {
	ok := footer{
		rangeDel: blockHandle{offset: 90, size: 1},
		bloom:    blockHandle{offset: 100, size: 2}, bloomK: 1, bloomM: 16,
		props: blockHandle{offset: 111, size: 10},
		index: blockHandle{offset: 130, size: 10}, version: 2, // seeded bloom: any m
	}
	const footerOff = 149
	if err := ok.validate(footerOff, "f"); err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(*footer){
		"range-del past bloom":  func(f *footer) { f.rangeDel.size = 2 },
		"gap before bloom":      func(f *footer) { f.rangeDel.offset = 89 },
		"range-del past file":   func(f *footer) { f.rangeDel.offset = footerOff + 1 },
		"bloom past props":      func(f *footer) { f.bloom.size = 3 },
		"gap before index":      func(f *footer) { f.props.size = 9 },
		"index past footer":     func(f *footer) { f.index.size = 11 },
		"huge offset":           func(f *footer) { f.bloom.offset = 1<<64 - 5 },
		"k without m":           func(f *footer) { f.bloomM, f.bloom.size, f.props.offset = 0, 0, 109 },
		"k too large":           func(f *footer) { f.bloomK = maxBloomK + 1 },
		"m does not match size": func(f *footer) { f.bloomM = 17 },
		"m overflows":           func(f *footer) { f.bloomM = 1<<64 - 1 },
		"blocked m not blocks":  func(f *footer) { f.version = 3 },
	} {
		f := ok
		mutate(&f)
		if err := f.validate(footerOff, "f"); !errors.Is(err, base.ErrCorruption) {
			t.Errorf("%s: validate = %v", name, err)
		}
	}
	blocked := ok
	blocked.version, blocked.bloomM, blocked.bloom.size = 3, 512, 64
	blocked.props.offset, blocked.index.offset = 173, 192 // each block is followed by its trailer
	if err := blocked.validate(211, "f"); err != nil {
		t.Fatalf("version 3 footer with one bloom block: %v", err)
	}
}

func TestIndexRoundTrip(t *testing.T) {
	var w indexWriter
	keys := []base.InternalKey{ikey("", 9, base.KindSet), ikey("apple", 5, base.KindDelete), ikey("banana", 1, base.KindSet)}
	var off uint64
	for i, k := range keys {
		w.add(k, blockHandle{offset: off, size: uint32(10 + i)})
		off += uint64(10+i) + blockTrailerLen
	}
	b, err := w.finish()
	if err != nil {
		t.Fatal(err)
	}
	entries, err := decodeIndex(b, "f", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(keys) {
		t.Fatalf("%d entries", len(entries))
	}
	for i, e := range entries {
		if base.DefaultComparer.CompareInternal(e.lastKey, keys[i]) != 0 || e.handle.size != uint32(10+i) {
			t.Fatalf("entry %d = %+v", i, e)
		}
	}
	if err := validateIndex(entries, off, base.DefaultComparer, "f", 0); err != nil {
		t.Fatal(err)
	}
	if err := validateIndex(entries, off+1, base.DefaultComparer, "f", 0); !errors.Is(err, base.ErrCorruption) {
		t.Fatalf("validate with a gap at the end: %v", err)
	}
	swapped := []indexEntry{entries[1], entries[0]}
	swapped[0].handle, swapped[1].handle = entries[0].handle, entries[1].handle
	if err := validateIndex(swapped, entries[1].handle.end(), base.DefaultComparer, "f", 0); !errors.Is(err, base.ErrCorruption) {
		t.Fatalf("validate with keys out of order: %v", err)
	}
	for _, tc := range []struct {
		key  base.InternalKey
		want int
	}{
		{ikey("", base.SeqNumMax, base.KindSet), 0},
		{ikey("", 1, base.KindSet), 1},
		{ikey("apple", 6, base.KindSet), 1},
		{ikey("apple", 5, base.KindDelete), 1},
		{ikey("apple", 4, base.KindSet), 2},
		{ikey("banana", 0, base.KindDelete), 3},
		{ikey("zzz", 1, base.KindSet), 3},
	} {
		if got := searchIndex(entries, base.DefaultComparer, tc.key); got != tc.want {
			t.Errorf("searchIndex(%s) = %d, want %d", tc.key, got, tc.want)
		}
	}
	// A truncated index is rejected, or (when the cut happens to leave a
	// zero count at the end, like the empty first key's length here) reads
	// as another, smaller index.
	for n := range len(b) {
		if got, err := decodeIndex(b[:n], "f", 0); err == nil && len(got) >= len(keys) {
			t.Fatalf("index truncated to %d bytes decodes to %d entries", n, len(got))
		} else if err != nil && !errors.Is(err, base.ErrCorruption) {
			t.Fatalf("index truncated to %d bytes: %v", n, err)
		}
	}
}

func TestPropertiesRoundTrip(t *testing.T) {
	for _, p := range []Properties{
		{ComparerName: "c", FormatVersion: FormatVersion},
		{
			ComparerName: base.DefaultComparer.Name, EntryCount: 10, DeletionCount: 3,
			Smallest: ikey("a", 5, base.KindSet), Largest: ikey("z", 7, base.KindDelete),
			SmallestSeq: 2, LargestSeq: base.SeqNumMax, RawKeySize: 1 << 40, RawValueSize: 77,
			DataBlockCount: 2, FormatVersion: FormatVersion, FileNum: 1 << 40,
		},
		{
			ComparerName: "c", EntryCount: 1, Smallest: ikey("a", 5, base.KindSet), Largest: ikey("a", 5, base.KindSet),
			SmallestSeq: 5, LargestSeq: 5, DataBlockCount: 1, FormatVersion: 3, // no file number
		},
		{
			ComparerName: "c", EntryCount: 1, RangeDelCount: 4,
			Smallest: ikey("a", 9, base.KindRangeDelete), Largest: sentinel("z"),
			SmallestSeq: 1, LargestSeq: 9, DataBlockCount: 1, FormatVersion: FormatVersion,
		},
		{
			ComparerName: "c", RangeDelCount: 1,
			Smallest: ikey("a", 9, base.KindRangeDelete), Largest: sentinel("b"),
			SmallestSeq: 9, LargestSeq: 9, FormatVersion: FormatVersion,
		},
	} {
		b := p.encode(nil)
		got, err := decodeProperties(b, "f", 0)
		if err != nil {
			t.Fatal(err)
		}
		if got.ComparerName != p.ComparerName || got.EntryCount != p.EntryCount || got.DeletionCount != p.DeletionCount ||
			got.RangeDelCount != p.RangeDelCount || !sameKey(got.Smallest, p.Smallest) || !sameKey(got.Largest, p.Largest) ||
			got.SmallestSeq != p.SmallestSeq || got.LargestSeq != p.LargestSeq || got.RawKeySize != p.RawKeySize ||
			got.RawValueSize != p.RawValueSize || got.DataBlockCount != p.DataBlockCount ||
			got.FormatVersion != p.FormatVersion || got.FileNum != p.FileNum {
			t.Fatalf("round trip: got %+v, want %+v", got, p)
		}
		for n := range len(b) {
			if _, err := decodeProperties(b[:n], "f", 0); !errors.Is(err, base.ErrCorruption) {
				t.Fatalf("properties truncated to %d bytes: %v", n, err)
			}
		}
		if _, err := decodeProperties(append(b, 0), "f", 0); !errors.Is(err, base.ErrCorruption) {
			t.Fatalf("properties with a trailing byte: %v", err)
		}
	}
}

func TestPropertiesInconsistent(t *testing.T) {
	good := Properties{
		ComparerName: "c", EntryCount: 2, DeletionCount: 1,
		Smallest: ikey("a", 5, base.KindSet), Largest: ikey("b", 7, base.KindSet),
		SmallestSeq: 5, LargestSeq: 7, DataBlockCount: 1, FormatVersion: FormatVersion,
	}
	for name, mutate := range map[string]func(*Properties){
		"deletions exceed entries": func(p *Properties) { p.DeletionCount = 3 },
		"entries without blocks":   func(p *Properties) { p.DataBlockCount = 0 },
		"blocks without entries": func(p *Properties) {
			p.EntryCount, p.DeletionCount, p.Smallest, p.Largest = 0, 0, base.InternalKey{}, base.InternalKey{}
		},
		"seqnum range inverted": func(p *Properties) { p.SmallestSeq = 8 },
		"unknown key kind":      func(p *Properties) { p.Largest = ikey("b", 7, base.KindBlobValue+1) },
	} {
		p := good
		mutate(&p)
		_, err := decodeProperties(p.encode(nil), "f", 0)
		if !errors.Is(err, base.ErrCorruption) || !strings.Contains(err.Error(), "properties block") {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Range tombstones without bounds: the empty table's encoding with
	// the range deletion count (after the name, entry and deletion
	// counts) set to 1.
	b := (&Properties{ComparerName: "c", FormatVersion: FormatVersion}).encode(nil)
	if b[4] != 0 {
		t.Fatalf("range deletion count not at byte 4 of %x", b)
	}
	b[4] = 1
	if _, err := decodeProperties(b, "f", 0); !errors.Is(err, base.ErrCorruption) ||
		!strings.Contains(err.Error(), "range deletion count 1") {
		t.Errorf("range deletions without keys: %v", err)
	}
}

func TestBlockTrailer(t *testing.T) {
	block := []byte("some block bytes")
	for _, c := range []Compression{NoCompression, SnappyCompression, ZstdCompression} {
		buf := appendBlockTrailer(append([]byte(nil), block...), block, c)
		if len(buf) != len(block)+blockTrailerLen || buf[len(block)] != byte(c) {
			t.Fatalf("%s: trailer adds %d bytes, compression byte %d", c, len(buf)-len(block), buf[len(block)])
		}
		got, gotC, err := checkBlockTrailer("f", 0, buf)
		if err != nil || string(got) != string(block) || gotC != c {
			t.Fatalf("%s: check = %q, %s, %v", c, got, gotC, err)
		}
		for i := range buf {
			c := append([]byte(nil), buf...)
			c[i] ^= 0x80
			if _, _, err := checkBlockTrailer("f", 0, c); !errors.Is(err, base.ErrCorruption) {
				t.Fatalf("flip at %d: %v", i, err)
			}
		}
	}
	// A checksum-valid block with an unknown compression type.
	c := append([]byte(nil), block...)
	c = append(c, 3)
	c = binary.LittleEndian.AppendUint64(c, blockChecksum(block, 3))
	if _, _, err := checkBlockTrailer("f", 7, c); !errors.Is(err, base.ErrCorruption) ||
		!strings.Contains(err.Error(), "compression") {
		t.Fatalf("compression 3: %v", err)
	}
	// A checksum-valid snappy block whose payload is not snappy.
	if _, err := decompressBlock(SnappyCompression, block, "f", 7, heapAlloc); !errors.Is(err, base.ErrCorruption) {
		t.Fatalf("garbage snappy block: %v", err)
	}
}
