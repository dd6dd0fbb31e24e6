package sstable

import (
	"errors"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
)

// readsOf returns how many ReadAt calls f has seen since the last call.
func readsOf(f *memFile) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := f.reads
	f.reads = 0
	return n
}

// A forward scan reads the table in a few large windows; a backward scan
// and point reads read one block per miss; every entry is still right.
func TestReadaheadScan(t *testing.T) {
	for _, c := range compressions {
		t.Run(c.String(), func(t *testing.T) {
			entries := compressibleEntries(20000)
			f, m := buildTable(t, WriterOptions{BlockSize: 512, Compression: c}, entries)
			r := openTable(t, f, nil)
			blocks := len(r.index)
			readsOf(f)

			requireEntries(t, r.cmp, scanForward(t, r), entries)
			fwd := readsOf(f)
			// The windows grow to readaheadMaxIter; readaheadAfter+1
			// reads come before the run is established.
			if max := readaheadAfter + 1 + int(m.Size)/readaheadMin + 1; fwd > max || fwd >= blocks/4 {
				t.Fatalf("forward scan of %d blocks (%d bytes) made %d reads, want at most %d", blocks, m.Size, fwd, max)
			}

			requireEntries(t, r.cmp, scanBackward(t, r), reversed(entries))
			if back := readsOf(f); back != blocks {
				t.Fatalf("backward scan of %d blocks made %d reads, want one per block", blocks, back)
			}

			it := r.NewIter()
			for j := 0; j < 50; j++ {
				e := entries[(j*7919)%len(entries)]
				if !it.SeekGE(e.key) || string(it.Value()) != string(e.value) {
					t.Fatalf("SeekGE(%s): %v", e.key, it.Error())
				}
			}
			if err := it.Close(); err != nil {
				t.Fatal(err)
			}
			if seeks := readsOf(f); seeks > 50 {
				t.Fatalf("50 point seeks made %d reads, want at most one each", seeks)
			}
		})
	}
}

// A compaction iterator reads whole windows of readaheadMaxCompaction from
// the start.
func TestReadaheadCompaction(t *testing.T) {
	entries := compressibleEntries(20000)
	f, m := buildTable(t, WriterOptions{BlockSize: 512, Compression: NoCompression}, entries)
	r := openTable(t, f, nil)
	readsOf(f)
	var it Iter
	r.InitCompactionIter(&it)
	requireEntries(t, r.cmp, collect(&it, it.First(), it.Next), entries)
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	if got, max := readsOf(f), int(r.dataEnd)/readaheadMaxCompaction+1; got > max {
		t.Fatalf("compaction scan of %d bytes made %d reads, want at most %d", m.Size, got, max)
	}
}

// A block served from a window is checked like any other: a flipped byte
// in a later block of the scan is reported as corruption.
func TestReadaheadDetectsCorruption(t *testing.T) {
	entries := compressibleEntries(20000)
	f, _ := buildTable(t, WriterOptions{BlockSize: 512, Compression: SnappyCompression}, entries)
	r := openTable(t, f, nil)
	h := r.index[len(r.index)/2].handle // well inside a window of a forward scan
	f.mu.Lock()
	f.data[h.offset+uint64(h.size)/2] ^= 0x10
	f.mu.Unlock()
	it := r.NewIter()
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		n++
	}
	if !errors.Is(it.Error(), base.ErrCorruption) {
		t.Fatalf("scan stopped after %d entries with %v, want corruption", n, it.Error())
	}
	it.Close()
}
