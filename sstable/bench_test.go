package sstable

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
)

// benchEntries returns n entries with 16-byte keys and 100-byte values.
func benchEntries(n int) []kv {
	entries := make([]kv, n)
	value := make([]byte, 100)
	for i := range entries {
		k := make([]byte, 16)
		copy(k, "benchkey")
		binary.BigEndian.PutUint64(k[8:], uint64(i))
		entries[i] = kv{base.MakeInternalKey(k, base.SeqNum(i+16), base.KindSet), value}
	}
	return entries
}

func BenchmarkWriter(b *testing.B) {
	entries := benchEntries(100000)
	b.SetBytes(int64(len(entries) * (16 + 100)))
	for b.Loop() {
		w := NewWriter(&discardFile{}, WriterOptions{Comparer: base.DefaultComparer, EstimatedKeys: len(entries)})
		for _, e := range entries {
			if err := w.Add(e.key, e.value); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := w.Finish(); err != nil {
			b.Fatal(err)
		}
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

func BenchmarkSeekGE(b *testing.B) {
	r, entries := benchReader(b, 100000)
	it := r.NewIter()
	defer it.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	for b.Loop() {
		if !it.SeekGE(entries[rng.IntN(len(entries))].key) {
			b.Fatal(it.Error())
		}
	}
}

func BenchmarkIterNext(b *testing.B) {
	r, _ := benchReader(b, 100000)
	it := r.NewIter()
	defer it.Close()
	ok := it.First()
	for b.Loop() {
		if !ok {
			ok = it.First()
		}
		ok = it.Next()
	}
	if err := it.Error(); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkIterPrev(b *testing.B) {
	r, _ := benchReader(b, 100000)
	it := r.NewIter()
	defer it.Close()
	ok := it.Last()
	for b.Loop() {
		if !ok {
			ok = it.Last()
		}
		ok = it.Prev()
	}
	if err := it.Error(); err != nil {
		b.Fatal(err)
	}
}
