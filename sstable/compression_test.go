package sstable

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"

	"github.com/tempestdb/tempest/internal/base"
)

var compressions = []Compression{NoCompression, SnappyCompression, ZstdCompression}

func TestCompressionNames(t *testing.T) {
	for _, c := range compressions {
		got, err := ParseCompression(c.String())
		if err != nil || got != c {
			t.Fatalf("ParseCompression(%q) = %v, %v", c.String(), got, err)
		}
	}
	if _, err := ParseCompression("lz4"); !errors.Is(err, base.ErrInvalidArgument) {
		t.Fatalf("ParseCompression(lz4) = %v", err)
	}
	if s := Compression(9).String(); s != "compression(9)" {
		t.Fatalf("String() = %q", s)
	}
	w := NewWriter(&memFile{}, WriterOptions{Comparer: base.DefaultComparer, Compression: 3})
	if err := w.Add(ikey("a", 1, base.KindSet), nil); !errors.Is(err, base.ErrInvalidArgument) {
		t.Fatalf("Add with compression 3: %v", err)
	}
	w.Abort()
}

// blockCompressions returns the compression byte of every block of a
// table: data blocks in order, then the bloom, properties and index blocks.
func blockCompressions(t testing.TB, f *memFile) (data []Compression, bloom, props, index Compression) {
	t.Helper()
	r := openTable(t, f.reopen(), nil)
	at := func(h blockHandle) Compression { return Compression(f.data[h.offset+uint64(h.size)]) }
	for _, e := range r.index {
		data = append(data, at(e.handle))
	}
	return data, at(r.footer.bloom), at(r.footer.props), at(r.footer.index)
}

// compressibleEntries returns n entries whose values repeat a few words.
func compressibleEntries(n int) []kv {
	entries := make([]kv, n)
	for i := range entries {
		v := bytes.Repeat([]byte(fmt.Sprintf("value of key %d; ", i%7)), 1+i%5)
		entries[i] = kv{ikey(fmt.Sprintf("key%06d", i), base.SeqNum(100+i), base.KindSet), v}
	}
	return entries
}

// randomEntries returns n entries with random (incompressible) values.
func randomEntries(rng *rand.Rand, n, valueLen int) []kv {
	entries := make([]kv, n)
	for i := range entries {
		v := make([]byte, valueLen)
		for j := range v {
			v[j] = byte(rng.Uint32())
		}
		entries[i] = kv{ikey(fmt.Sprintf("key%06d", i), base.SeqNum(100+i), base.KindSet), v}
	}
	return entries
}

func TestCompressionRoundTrip(t *testing.T) {
	entries := compressibleEntries(3000)
	sizes := map[Compression]int{}
	for _, c := range compressions {
		t.Run(c.String(), func(t *testing.T) {
			f, m := buildTable(t, WriterOptions{Compression: c}, entries)
			sizes[c] = len(f.data)
			data, bloom, props, index := blockCompressions(t, f)
			for j, got := range data {
				if got != c {
					t.Fatalf("data block %d stored with %s, want %s", j, got, c)
				}
			}
			if bloom != NoCompression || index != c {
				t.Fatalf("bloom block %s, index block %s", bloom, index)
			}
			if c == NoCompression && props != NoCompression {
				t.Fatalf("properties block %s", props)
			}
			r := openTable(t, f, nil)
			if err := r.VerifyChecksums(); err != nil {
				t.Fatal(err)
			}
			requireEntries(t, r.cmp, scanForward(t, r), entries)
			requireEntries(t, r.cmp, scanBackward(t, r), reversed(entries))
			for _, i := range []int{0, 1, 1500, 2999} {
				v, _, ok := get(t, r, entries[i].key.UserKey, base.SeqNumMax)
				if !ok || !bytes.Equal(v, entries[i].value) {
					t.Fatalf("get(%s) = %q, %v", entries[i].key, v, ok)
				}
			}
			if p := r.Properties(); p.EntryCount != m.EntryCount || p.RawValueSize == 0 {
				t.Fatalf("properties %+v", p)
			}
		})
	}
	t.Logf("table sizes: none %d, snappy %d, zstd %d bytes", sizes[NoCompression],
		sizes[SnappyCompression], sizes[ZstdCompression])
	if sizes[SnappyCompression] >= sizes[NoCompression]*3/4 || sizes[ZstdCompression] >= sizes[SnappyCompression] {
		t.Fatalf("sizes %v: compression does not pay", sizes)
	}
}

// Blocks that compression would shrink by less than 12.5% are stored raw.
func TestIncompressibleStoredRaw(t *testing.T) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, 1))
	entries := randomEntries(rng, 500, 200)
	plain, _ := buildTable(t, WriterOptions{}, entries)
	for _, c := range compressions[1:] {
		f, _ := buildTable(t, WriterOptions{Compression: c}, entries)
		data, _, _, _ := blockCompressions(t, f)
		for j, got := range data {
			if got != NoCompression {
				t.Fatalf("%s: data block %d of random values stored with %s", c, j, got)
			}
		}
		// Only the index and properties blocks may differ.
		if len(f.data) > len(plain.data) {
			t.Fatalf("%s: %d bytes, more than the %d of an uncompressed table", c, len(f.data), len(plain.data))
		}
		requireEntries(t, base.DefaultComparer, scanForward(t, openTable(t, f, nil)), entries)
	}
}

// TestCompressionThreshold checks the 12.5% rule at its boundary.
func TestCompressionThreshold(t *testing.T) {
	for _, c := range compressions[1:] {
		outcomes := map[Compression]int{}
		for n := 1; n < 3000; n += 37 {
			// A random prefix (incompressible) and a run of zeros (free)
			// of varying lengths cross the threshold somewhere.
			rng := rand.New(rand.NewPCG(uint64(n), 2))
			block := make([]byte, 2048)
			for i := range block[:min(n, len(block))] {
				block[i] = byte(rng.Uint32())
			}
			stored, got := compressBlock(c, nil, block)
			saves := len(stored) <= len(block)-len(block)/8
			outcomes[got]++
			switch {
			case got == NoCompression && !bytes.Equal(stored, block):
				t.Fatalf("%s, n=%d: raw result differs from the block", c, n)
			case got == c && !saves:
				t.Fatalf("%s, n=%d: stored %d compressed bytes for a %d-byte block", c, n, len(stored), len(block))
			case got != NoCompression && got != c:
				t.Fatalf("%s, n=%d: compression %s", c, n, got)
			}
			if got == c {
				back, err := decompressBlock(c, stored, "f", 0, heapAlloc)
				if err != nil || !bytes.Equal(back, block) {
					t.Fatalf("%s, n=%d: round trip: %v", c, n, err)
				}
			} else if enc, _ := encodeBlock(c, nil, block); len(enc) <= len(block)-len(block)/8 {
				t.Fatalf("%s, n=%d: compression saves enough (%d bytes) but the block was stored raw", c, n, len(enc))
			}
		}
		if outcomes[c] == 0 || outcomes[NoCompression] == 0 {
			t.Fatalf("%s: outcomes %v: the threshold was not crossed", c, outcomes)
		}
	}
}

// A block larger than the zstd window (1 MiB) round-trips.
func TestCompressionLargeBlock(t *testing.T) {
	value := bytes.Repeat([]byte("0123456789abcdef"), 1<<12) // 64 KiB
	var entries []kv
	for i := range 64 {
		entries = append(entries, kv{ikey(fmt.Sprintf("k%03d", i), 1, base.KindSet), value})
	}
	for _, c := range compressions[1:] {
		f, _ := buildTable(t, WriterOptions{Compression: c, BlockSize: 8 << 20}, entries)
		data, _, _, _ := blockCompressions(t, f)
		if len(data) != 1 || data[0] != c {
			t.Fatalf("%s: blocks %v", c, data)
		}
		r := openTable(t, f, nil)
		requireEntries(t, base.DefaultComparer, scanForward(t, r), entries)
		if err := r.VerifyChecksums(); err != nil {
			t.Fatal(err)
		}
	}
}

// Checksum-valid compressed blocks with bad payloads give corruption
// errors, never a panic or an oversized allocation.
func TestDecompressRejectsBadPayloads(t *testing.T) {
	block := bytes.Repeat([]byte("tempest block "), 100)
	uvarint := func(n uint64) []byte { return binary.AppendUvarint(nil, n) }
	for _, c := range compressions[1:] {
		good, got := compressBlock(c, nil, block)
		if got != c {
			t.Fatalf("%s: block not compressed", c)
		}
		_, k := binary.Uvarint(good)
		cases := map[string][]byte{
			"empty":              {},
			"bad length":         {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
			"huge length":        append(uvarint(maxDecodedBlockLen+1), good[k:]...),
			"length too long":    append(uvarint(uint64(len(block)+1)), good[k:]...),
			"length too short":   append(uvarint(uint64(len(block)-1)), good[k:]...),
			"length 0":           append(uvarint(0), good[k:]...),
			"truncated":          good[:len(good)-1],
			"trailing bytes":     append(append([]byte(nil), good...), 0, 0, 0, 0),
			"payload is garbage": append(uvarint(100), bytes.Repeat([]byte{0xfe}, 50)...),
			"only the length":    uvarint(uint64(len(block))),
		}
		for name, payload := range cases {
			out, err := decompressBlock(c, payload, "f", 42, heapAlloc)
			if !errors.Is(err, base.ErrCorruption) {
				t.Errorf("%s, %s: got %d bytes, err %v; want a corruption error", c, name, len(out), err)
			}
		}
		// Every truncation and every byte flip: a corruption error, or a
		// block of exactly the declared length.
		for n := range len(good) {
			if _, err := decompressBlock(c, good[:n], "f", 0, heapAlloc); !errors.Is(err, base.ErrCorruption) {
				t.Fatalf("%s: truncated to %d bytes: %v", c, n, err)
			}
		}
		for i := range good {
			for _, mask := range []byte{0x01, 0x80, 0xff} {
				bad := append([]byte(nil), good...)
				bad[i] ^= mask
				out, err := decompressBlock(c, bad, "f", 0, heapAlloc)
				if err != nil {
					if !errors.Is(err, base.ErrCorruption) {
						t.Fatalf("%s: flip %#x at %d: %v", c, mask, i, err)
					}
					continue
				}
				if n, _ := binary.Uvarint(bad); uint64(len(out)) != n {
					t.Fatalf("%s: flip %#x at %d: decoded %d bytes, declared %d", c, mask, i, len(out), n)
				}
			}
		}
	}
	if _, err := decompressBlock(3, block, "f", 0, heapAlloc); !errors.Is(err, base.ErrCorruption) {
		t.Fatalf("compression 3: %v", err)
	}
}

// Compressed blocks use the codecs' standard formats: a strict Snappy
// decoder and a default zstd decoder read them.
func TestCompressedBlocksAreStandard(t *testing.T) {
	entries := compressibleEntries(500)
	dec, err := zstd.NewReader(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	for _, c := range compressions[1:] {
		f, _ := buildTable(t, WriterOptions{BlockSize: 1024, Compression: c}, entries)
		r := openTable(t, f, nil)
		for j, e := range r.index {
			stored := f.data[e.handle.offset : e.handle.offset+uint64(e.handle.size)]
			var got []byte
			var err error
			switch c {
			case SnappyCompression:
				got, err = snappy.DecodeStrict(nil, stored)
			case ZstdCompression:
				_, k := binary.Uvarint(stored)
				got, err = dec.DecodeAll(stored[k:], nil)
			}
			want, werr := r.readBlock(e.handle)
			if err != nil || werr != nil || !bytes.Equal(got, want) {
				t.Fatalf("%s: data block %d: standard decoder %v, reader %v", c, j, err, werr)
			}
		}
	}
}
