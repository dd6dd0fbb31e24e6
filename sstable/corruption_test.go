package sstable

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/cache"
)

// Every byte of a table is covered by a checksum, so flipping any byte must
// make Open fail, or make a full scan in either direction and
// VerifyChecksums fail, always with a corruption error. No scan may yield
// an entry that was not written, and nothing may panic. The sweep runs on
// an uncompressed table and on tables whose blocks are compressed with
// each codec, where a flip lands in compressed bytes; those are read
// through a block cache, which must never keep a corrupt block.
func TestCorruptionEveryByte(t *testing.T) {
	entries := numbered(120)
	entries = append(entries, del("zz", 7))
	for _, c := range compressions {
		t.Run(c.String(), func(t *testing.T) {
			good, _ := buildTable(t, WriterOptions{BlockSize: 256, RestartInterval: 4, Compression: c}, entries)
			if n := len(good.data); n < 1024 || n > 8192 {
				t.Fatalf("table is %d bytes, want a few KiB", n)
			}
			if data, _, _, index := blockCompressions(t, good); data[0] != c || index != c {
				t.Fatalf("data block 0 stored with %s, index with %s, want %s", data[0], index, c)
			}
			// The checksum is verified before decompression, so one mask
			// suffices for the compressed tables (and keeps -race runs short).
			masks := []byte{0x01, 0x80, 0xff}
			var bc *cache.Cache
			if c != NoCompression {
				masks, bc = []byte{0xff}, cache.New(1<<20)
			}
			corruptEveryByte(t, good, entries, nil, masks, bc)
			if bc != nil {
				if m := bc.Metrics(); m.Count != 0 || m.Reserved != 0 || m.Misses == 0 {
					t.Fatalf("cache after every reader closed: %+v", m)
				}
			}
		})
	}
}

// The sweep also runs on tables with range tombstones, with and without
// point entries: a flip anywhere in the range-deletion block must fail
// Open, and a table that opens must hold exactly the tombstones written.
func TestCorruptionEveryByteRangeDels(t *testing.T) {
	var dels []RangeDel
	for i := range 30 {
		dels = append(dels, RangeDel{
			Start: fmt.Appendf(nil, "key%06d", i*5), End: fmt.Appendf(nil, "key%06d", i*5+17), Seq: base.SeqNum(300 - i),
		})
	}
	dels = append(dels, rangeDel("zz", "zzz", 1))
	sorted := slices.Clone(dels)
	sortRangeDels(base.DefaultComparer, sorted)
	for _, tc := range []struct {
		name    string
		c       Compression
		entries []kv
	}{
		{"points/none", NoCompression, numbered(40)},
		{"points/zstd", ZstdCompression, numbered(40)},
		{"only/none", NoCompression, nil},
		{"only/snappy", SnappyCompression, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			good, m := buildTableWithRangeDels(t, WriterOptions{BlockSize: 256, RestartInterval: 4, Compression: tc.c},
				tc.entries, dels)
			if !m.Largest.IsExclusiveSentinel() || m.RangeDelCount != uint64(len(dels)) {
				t.Fatalf("meta = %+v", m)
			}
			r := openTable(t, good.reopen(), nil)
			t.Logf("table of %d bytes, range-deletion block of %d", len(good.data), r.footer.rangeDel.size)
			if got := Compression(good.data[r.footer.rangeDel.offset+uint64(r.footer.rangeDel.size)]); got != tc.c {
				t.Fatalf("range-deletion block stored with %s, want %s", got, tc.c)
			}
			masks := []byte{0x01, 0x80, 0xff}
			var bc *cache.Cache
			if tc.c != NoCompression {
				masks, bc = []byte{0xff}, cache.New(1<<20)
			}
			corruptEveryByte(t, good, tc.entries, sorted, masks, bc)
			if bc != nil {
				if m := bc.Metrics(); m.Count != 0 || m.Reserved != 0 {
					t.Fatalf("cache after every reader closed: %+v", m)
				}
			}
		})
	}
}

func corruptEveryByte(t *testing.T, good *memFile, entries []kv, dels []RangeDel, masks []byte, bc *cache.Cache) {
	cmp := base.DefaultComparer
	opts := ReaderOptions{Comparer: cmp, FileName: testFileName, Cache: bc}
	openedOK := 0
	for off := range good.data {
		for _, mask := range masks {
			f := good.reopen()
			f.data[off] ^= mask
			r, err := Open(f, int64(len(f.data)), opts)
			if err != nil {
				if !errors.Is(err, base.ErrCorruption) {
					t.Fatalf("flip %#x at %d: Open = %v, want a corruption error", mask, off, err)
				}
				continue
			}
			openedOK++
			requireRangeDels(t, r.RangeDels(), dels)
			checkCorruptScan(t, r, entries, off, true)
			checkCorruptScan(t, r, entries, off, false)
			if err := r.VerifyChecksums(); !errors.Is(err, base.ErrCorruption) {
				t.Fatalf("flip %#x at %d: VerifyChecksums = %v", mask, off, err)
			}
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Data blocks are read lazily, so flips there pass Open.
	if openedOK == 0 && len(entries) > 0 {
		t.Fatal("no flip got past Open: the scan checks never ran")
	}
}

// checkCorruptScan scans r fully and requires a corruption error, with
// every entry yielded before it equal to the one written at that position.
func checkCorruptScan(t *testing.T, r *Reader, entries []kv, off int, forward bool) {
	t.Helper()
	it := r.NewIter()
	ok, step, want := it.First(), it.Next, entries
	if !forward {
		ok, step, want = it.Last(), it.Prev, reversed(entries)
	}
	n := 0
	for ; ok; ok = step() {
		if n >= len(want) || !equalKV(r.cmp, kv{it.Key(), it.Value()}, want[n]) {
			t.Fatalf("flip at %d: scan (forward=%v) yielded %s at position %d", off, forward, it.Key(), n)
		}
		n++
	}
	if err := it.Close(); !errors.Is(err, base.ErrCorruption) {
		t.Fatalf("flip at %d: scan (forward=%v) of %d entries ended with %v", off, forward, n, err)
	}
}
