package sstable

import (
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/zeebo/xxh3"
)

func TestWriteSingleBlock(t *testing.T) {
	f, m := buildTable(t, WriterOptions{}, []kv{
		set("a", 10, "1"), set("b", 11, "2"), set("c", 12, "3"),
	})
	if m.EntryCount != 3 || m.Size == 0 || m.SmallestSeq != 10 || m.LargestSeq != 12 {
		t.Fatalf("meta = %+v, want 3 entries, size > 0, seqnums [10, 12]", m)
	}
	if string(m.Smallest.UserKey) != "a" || m.Smallest.SeqNum() != 10 ||
		string(m.Largest.UserKey) != "c" || m.Largest.SeqNum() != 12 {
		t.Fatalf("smallest, largest = %s, %s", m.Smallest, m.Largest)
	}
	r := openTable(t, f, nil)
	if p := r.Properties(); p.DataBlockCount != 1 || p.EntryCount != 3 || p.FormatVersion != FormatVersion {
		t.Fatalf("properties = %+v", p)
	}
}

func TestWriteSeqNumRange(t *testing.T) {
	_, m := buildTable(t, WriterOptions{}, []kv{
		set("a", 20, "x"), set("b", 10, "x"), set("c", 30, "x"), set("d", 15, "x"),
	})
	if m.SmallestSeq != 10 || m.LargestSeq != 30 {
		t.Fatalf("seqnum range [%d, %d], want [10, 30]", m.SmallestSeq, m.LargestSeq)
	}
}

func TestWriterMeta(t *testing.T) {
	f := &memFile{}
	w := NewWriter(f, WriterOptions{Comparer: base.DefaultComparer, BlockSize: 64})
	key := []byte("k00")
	for i := range 20 {
		copy(key, fmt.Sprintf("k%02d", i))
		kind := base.KindSet
		if i%4 == 0 {
			kind = base.KindDelete
		}
		if err := w.Add(base.MakeInternalKey(key, base.SeqNum(50-i), kind), []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	copy(key, "zzz") // Meta must own its keys.
	m, err := w.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if m.EntryCount != 20 || m.DeletionCount != 5 || m.SmallestSeq != 31 || m.LargestSeq != 50 {
		t.Fatalf("meta = %+v", m)
	}
	if string(m.Smallest.UserKey) != "k00" || string(m.Largest.UserKey) != "k19" {
		t.Fatalf("smallest, largest = %s, %s", m.Smallest, m.Largest)
	}
	if want := xxh3.Hash(f.data); m.Checksum != want {
		t.Fatalf("Meta.Checksum = %#x, XXH3-64 of the file %#x", m.Checksum, want)
	}
	r := openTable(t, f.reopen(), nil)
	p := r.Properties()
	if p.EntryCount != 20 || p.DeletionCount != 5 || p.SmallestSeq != 31 || p.LargestSeq != 50 ||
		p.RawKeySize != 20*11 || p.RawValueSize != 20 || p.DataBlockCount < 2 ||
		p.ComparerName != base.DefaultComparer.Name ||
		base.DefaultComparer.CompareInternal(p.Smallest, m.Smallest) != 0 ||
		base.DefaultComparer.CompareInternal(p.Largest, m.Largest) != 0 {
		t.Fatalf("properties = %+v", p)
	}
}

func TestWriterRejectsDisorder(t *testing.T) {
	for _, tc := range []struct {
		name        string
		first, next base.InternalKey
	}{
		{"smaller user key", ikey("b", 5, base.KindSet), ikey("a", 5, base.KindSet)},
		{"same key", ikey("b", 5, base.KindSet), ikey("b", 5, base.KindSet)},
		{"newer version after older", ikey("b", 5, base.KindSet), ikey("b", 6, base.KindSet)},
		{"set after delete at same seqnum", ikey("b", 5, base.KindDelete), ikey("b", 5, base.KindSet)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &memFile{}
			w := NewWriter(f, WriterOptions{Comparer: base.DefaultComparer})
			if err := w.Add(tc.first, nil); err != nil {
				t.Fatal(err)
			}
			err := w.Add(tc.next, nil)
			if !errors.Is(err, base.ErrInvalidArgument) {
				t.Fatalf("Add out of order: %v, want ErrInvalidArgument", err)
			}
			// The writer is unusable from now on.
			if err := w.Add(ikey("z", 1, base.KindSet), nil); !errors.Is(err, base.ErrInvalidArgument) {
				t.Fatalf("Add after failure: %v", err)
			}
			if _, err := w.Finish(); !errors.Is(err, base.ErrInvalidArgument) {
				t.Fatalf("Finish after failure: %v", err)
			}
			if !f.closed {
				t.Fatal("failed Finish left the file open")
			}
			w.Abort() // harmless after Finish
		})
	}
}

func TestWriterRejectsBadInput(t *testing.T) {
	t.Run("nil comparer", func(t *testing.T) {
		w := NewWriter(&memFile{}, WriterOptions{})
		if err := w.Add(ikey("a", 1, base.KindSet), nil); !errors.Is(err, base.ErrInvalidArgument) {
			t.Fatalf("Add: %v", err)
		}
		w.Abort()
	})
	t.Run("block size", func(t *testing.T) {
		w := NewWriter(&memFile{}, WriterOptions{Comparer: base.DefaultComparer, BlockSize: MaxBlockSize + 1})
		if _, err := w.Finish(); !errors.Is(err, base.ErrInvalidArgument) {
			t.Fatalf("Finish: %v", err)
		}
	})
	t.Run("unknown kind", func(t *testing.T) {
		w := NewWriter(&memFile{}, WriterOptions{Comparer: base.DefaultComparer})
		if err := w.Add(ikey("a", 1, base.Kind(7)), nil); !errors.Is(err, base.ErrInvalidArgument) {
			t.Fatalf("Add: %v", err)
		}
		w.Abort()
	})
}

func TestWriterAbort(t *testing.T) {
	f := &memFile{}
	w := NewWriter(f, WriterOptions{Comparer: base.DefaultComparer})
	if err := w.Add(ikey("a", 1, base.KindSet), nil); err != nil {
		t.Fatal(err)
	}
	w.Abort()
	if !f.closed || f.syncs != 0 {
		t.Fatalf("Abort: closed=%v syncs=%d", f.closed, f.syncs)
	}
	w.Abort()
	if err := w.Add(ikey("b", 1, base.KindSet), nil); !errors.Is(err, base.ErrClosed) {
		t.Fatalf("Add after Abort: %v", err)
	}
	if _, err := w.Finish(); !errors.Is(err, base.ErrClosed) {
		t.Fatalf("Finish after Abort: %v", err)
	}
}

func TestWriterFinishTwice(t *testing.T) {
	w := NewWriter(&memFile{}, WriterOptions{Comparer: base.DefaultComparer})
	if _, err := w.Finish(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Finish(); !errors.Is(err, base.ErrClosed) {
		t.Fatalf("second Finish: %v", err)
	}
}

func TestWriterIOErrors(t *testing.T) {
	injected := errors.New("injected")
	for _, tc := range []struct {
		name   string
		inject func(*memFile)
	}{
		{"write", func(f *memFile) { f.failWrite = injected }},
		{"sync", func(f *memFile) { f.failSync = injected }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &memFile{}
			w := NewWriter(f, WriterOptions{Comparer: base.DefaultComparer, BlockSize: 32})
			for _, e := range numbered(10) {
				if err := w.Add(e.key, e.value); err != nil {
					t.Fatal(err)
				}
			}
			tc.inject(f)
			if _, err := w.Finish(); !errors.Is(err, injected) {
				t.Fatalf("Finish: %v, want the injected error", err)
			}
			if !f.closed {
				t.Fatal("failed Finish left the file open")
			}
		})
	}
	t.Run("write during Add", func(t *testing.T) {
		// Blocks are gathered into writeBufSize writes: the failure
		// surfaces from the Add that fills the buffer, and sticks.
		f := &memFile{failWrite: injected}
		w := NewWriter(f, WriterOptions{Comparer: base.DefaultComparer, BlockSize: 1, Compression: NoCompression})
		value := make([]byte, 1024)
		var err error
		adds := 0
		for ; err == nil && adds <= writeBufSize/len(value)+1; adds++ {
			err = w.Add(ikey(fmt.Sprintf("k%06d", adds), 1, base.KindSet), value)
		}
		if !errors.Is(err, injected) {
			t.Fatalf("after %d Adds of %d bytes: %v, want the injected error", adds, len(value), err)
		}
		if err := w.Add(ikey("z", 1, base.KindSet), nil); !errors.Is(err, injected) {
			t.Fatalf("Add after the failure: %v", err)
		}
		w.Abort()
		if !f.closed {
			t.Fatal("Abort left the file open")
		}
	})
}

// Blocks are cut once they reach BlockSize, so every data block but the
// last is at least BlockSize bytes, and none is much larger.
func TestWriterBlockSize(t *testing.T) {
	const blockSize = 256
	f, _ := buildTable(t, WriterOptions{BlockSize: blockSize}, numbered(500))
	r := openTable(t, f, nil)
	if len(r.index) < 10 {
		t.Fatalf("%d data blocks, want many", len(r.index))
	}
	for j, e := range r.index {
		size := int(e.handle.size)
		if j < len(r.index)-1 && size < blockSize {
			t.Fatalf("block %d has %d bytes, want >= %d", j, size, blockSize)
		}
		if size >= blockSize+64 {
			t.Fatalf("block %d has %d bytes: it should have been cut earlier", j, size)
		}
	}
}

// TestWriterRecordsFileNum: the table records the file number the writer
// was given, and a version 3 table (which has none) reads as file 0.
func TestWriterRecordsFileNum(t *testing.T) {
	f, _ := buildTable(t, WriterOptions{FileNum: 123456}, numbered(10))
	if p := openTable(t, f, nil).Properties(); p.FileNum != 123456 || p.FormatVersion != 4 {
		t.Fatalf("properties say file %s, format version %d; want 123456, 4", p.FileNum, p.FormatVersion)
	}
	data, err := os.ReadFile("testdata/format-v3.sst")
	if err != nil {
		t.Fatal(err)
	}
	if p := openTable(t, &memFile{data: data}, nil).Properties(); p.FileNum != 0 {
		t.Fatalf("version 3 table says file %s", p.FileNum)
	}
}

// TestWriterFormatVersion3: a writer asked for format version 3 writes a
// table that reads as version 3, with no file number; versions it cannot
// write are refused.
func TestWriterFormatVersion3(t *testing.T) {
	f, _ := buildTable(t, WriterOptions{FileNum: 77, FormatVersion: 3}, numbered(10))
	if p := openTable(t, f, nil).Properties(); p.FormatVersion != 3 || p.FileNum != 0 || p.EntryCount != 10 {
		t.Fatalf("properties say format version %d, file %s, %d entries; want 3, 0, 10", p.FormatVersion, p.FileNum, p.EntryCount)
	}
	for _, v := range []uint32{2, FormatVersion + 1} {
		w := NewWriter(&memFile{}, WriterOptions{Comparer: base.DefaultComparer, FormatVersion: v})
		if _, err := w.Finish(); !errors.Is(err, base.ErrInvalidArgument) {
			t.Fatalf("format version %d: %v, want ErrInvalidArgument", v, err)
		}
	}
}
