package sstable

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/cache"
)

// benchEntries returns n entries with 16-byte keys and 100-byte values,
// each value half random bytes and half a repeated pattern, so that
// compression roughly halves the data.
func benchEntries(n int) []kv {
	entries := make([]kv, n)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range entries {
		k := make([]byte, 16)
		copy(k, "benchkey")
		binary.BigEndian.PutUint64(k[8:], uint64(i))
		v := make([]byte, 100)
		for j := range v {
			if j < 50 {
				v[j] = byte(rng.Uint32())
			} else {
				v[j] = "pattern"[j%7]
			}
		}
		entries[i] = kv{base.MakeInternalKey(k, base.SeqNum(i+16), base.KindSet), v}
	}
	return entries
}

// BenchmarkWriter writes a 100,000-entry table with each compression and
// reports the file size relative to the raw key and value bytes.
func BenchmarkWriter(b *testing.B) {
	entries := benchEntries(100000)
	for _, c := range compressions {
		b.Run(c.String(), func(b *testing.B) {
			b.SetBytes(int64(len(entries) * (16 + 100)))
			var f *discardFile
			for b.Loop() {
				f = &discardFile{}
				w := NewWriter(f, WriterOptions{Comparer: base.DefaultComparer, EstimatedKeys: len(entries), Compression: c})
				for _, e := range entries {
					if err := w.Add(e.key, e.value); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := w.Finish(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(f.n)/float64(len(entries)*(16+100)), "size/raw")
		})
	}
}

// discardFile counts the bytes written to it and keeps none of them.
type discardFile struct {
	memFile
	n int64
}

func (f *discardFile) Write(p []byte) (int, error) {
	f.n += int64(len(p))
	return len(p), nil
}

func benchReader(b *testing.B, n int) (*Reader, []kv) {
	entries := benchEntries(n)
	f, _ := buildTable(b, WriterOptions{EstimatedKeys: n}, entries)
	return openTable(b, f, nil), entries
}

// BenchmarkSeekGE seeks to random keys of a 100,000-entry table (about 3,000
// 4 KiB blocks) with each compression, reading every block from the file
// (nocache) or from a block cache that holds the whole table (cache).
func BenchmarkSeekGE(b *testing.B) {
	entries := benchEntries(100000)
	for _, c := range compressions {
		f, _ := buildTable(b, WriterOptions{EstimatedKeys: len(entries), Compression: c}, entries)
		for _, cached := range []bool{false, true} {
			name := c.String() + "/nocache"
			var bc *cache.Cache
			if cached {
				name, bc = c.String()+"/cache", cache.New(64<<20)
			}
			b.Run(name, func(b *testing.B) {
				r := openCached(b, f.reopen(), bc, 0, 0)
				it := r.NewIter()
				defer it.Close()
				rng := rand.New(rand.NewPCG(1, 2))
				for b.Loop() {
					if !it.SeekGE(entries[rng.IntN(len(entries))].key) {
						b.Fatal(it.Error())
					}
				}
				if bc != nil {
					m := bc.Metrics()
					b.ReportMetric(float64(m.Hits)/float64(m.Hits+m.Misses), "hit-rate")
				}
			})
		}
	}
}

func BenchmarkIterNext(b *testing.B) {
	r, _ := benchReader(b, 100000)
	it := r.NewIter()
	defer it.Close()
	it.First()
	for b.Loop() {
		if !it.Next() {
			it.First()
		}
	}
	if err := it.Error(); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkIterPrev(b *testing.B) {
	r, _ := benchReader(b, 100000)
	it := r.NewIter()
	defer it.Close()
	it.Last()
	for b.Loop() {
		if !it.Prev() {
			it.Last()
		}
	}
	if err := it.Error(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkOpenRangeDels opens a table of 10,000 range tombstones with
// 16-byte keys and no point entries, with each compression: Open reads,
// decodes and verifies the whole range-deletion block. It reports the
// stored block size per tombstone.
func BenchmarkOpenRangeDels(b *testing.B) {
	dels := make([]RangeDel, 10000)
	for i := range dels {
		start, end := make([]byte, 16), make([]byte, 16)
		copy(start, "benchkey")
		copy(end, "benchkey")
		binary.BigEndian.PutUint64(start[8:], uint64(2*i))
		binary.BigEndian.PutUint64(end[8:], uint64(2*i+1))
		dels[i] = RangeDel{Start: start, End: end, Seq: base.SeqNum(16 + i)}
	}
	for _, c := range compressions {
		b.Run(c.String(), func(b *testing.B) {
			f, _ := buildTableWithRangeDels(b, WriterOptions{Compression: c}, nil, dels)
			var stored uint32
			for b.Loop() {
				r, err := Open(f.reopen(), int64(len(f.data)), ReaderOptions{Comparer: base.DefaultComparer})
				if err != nil {
					b.Fatal(err)
				}
				stored = r.footer.rangeDel.size
				if len(r.RangeDels()) != len(dels) {
					b.Fatalf("%d tombstones", len(r.RangeDels()))
				}
				r.Close()
			}
			b.ReportMetric(float64(stored)/float64(len(dels)), "B/tombstone")
		})
	}
}
