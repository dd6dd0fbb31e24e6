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
