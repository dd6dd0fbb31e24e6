package compact

import (
	"fmt"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
)

// BenchmarkPick measures Pick on a large LSM: 8 L0 files over the whole
// key space, and L4 to L6 of 50, 500 and 5000 files, with L5 over its
// target so that every file of L5 is a candidate.
func BenchmarkPick(b *testing.B) {
	var files []*manifest.FileMetadata
	num := base.FileNum(1)
	add := func(level, n int, size uint64) {
		for i := 0; i < n; i++ {
			lo := fmt.Sprintf("%08d", i*100000/n)
			hi := fmt.Sprintf("%08d", (i+1)*100000/n-1)
			files = append(files, &manifest.FileMetadata{FileNum: num, Level: level, Size: size,
				Smallest: base.MakeInternalKey([]byte(lo), 1, base.KindSet), Largest: base.MakeInternalKey([]byte(hi), 1, base.KindSet),
				SmallestSeq: 1, LargestSeq: 1, EntryCount: 1000, DeletionCount: 10})
			num++
		}
	}
	for i := 0; i < 8; i++ {
		seq := base.SeqNum(100 + i)
		files = append(files, &manifest.FileMetadata{FileNum: num, Level: 0, Size: 4 << 20,
			Smallest: base.MakeInternalKey([]byte("0"), seq, base.KindSet), Largest: base.MakeInternalKey([]byte("9"), seq, base.KindSet),
			SmallestSeq: seq, LargestSeq: seq})
		num++
	}
	add(4, 50, 2<<20)
	add(5, 500, 10<<20)
	add(6, 5000, 8<<20)
	v, err := manifest.NewVersion(base.DefaultComparer, files)
	if err != nil {
		b.Fatal(err)
	}
	p := NewPicker(nil, Options{L0CompactionThreshold: 100})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if c := p.Pick(v, nil); c == nil || c.StartLevel != 5 {
			b.Fatalf("picked %v", c)
		}
	}
}

// BenchmarkPickDeleteOnly measures PickDeleteOnly on 5550 files in L4 to
// L6 with 200 narrow range tombstones, none covering a whole file (the
// common case: the engine calls it before every pick), and with one more
// tombstone covering a tenth of the key space.
func BenchmarkPickDeleteOnly(b *testing.B) {
	var files []*manifest.FileMetadata
	num := base.FileNum(1)
	for _, l := range []struct{ level, n int }{{4, 50}, {5, 500}, {6, 5000}} {
		for i := 0; i < l.n; i++ {
			lo := fmt.Sprintf("%08d", i*100000/l.n)
			hi := fmt.Sprintf("%08d", (i+1)*100000/l.n-1)
			files = append(files, &manifest.FileMetadata{FileNum: num, Level: l.level, Size: 2 << 20,
				Smallest: base.MakeInternalKey([]byte(lo), 1, base.KindSet), Largest: base.MakeInternalKey([]byte(hi), 1, base.KindSet),
				SmallestSeq: 1, LargestSeq: 1})
			num++
		}
	}
	v, err := manifest.NewVersion(base.DefaultComparer, files)
	if err != nil {
		b.Fatal(err)
	}
	var hints []DeleteHint
	for i := 0; i < 200; i++ {
		k := i * 500
		hints = append(hints, DeleteHint{Start: []byte(fmt.Sprintf("%08d", k)), End: []byte(fmt.Sprintf("%08d", k+3)), Seq: 100, File: 1})
	}
	p := NewPicker(nil, Options{})
	snaps := []base.SeqNum{50}
	b.Run("none", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if c := p.PickDeleteOnly(v, nil, hints, snaps); c != nil {
				b.Fatalf("picked %v", c)
			}
		}
	})
	wide := append(hints, DeleteHint{Start: []byte("00040000"), End: []byte("00050000"), Seq: 100, File: 1})
	b.Run("wide", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if c := p.PickDeleteOnly(v, nil, wide, nil); c == nil || c.StartLevel != 6 {
				b.Fatalf("picked %v", c)
			}
		}
	})
}
