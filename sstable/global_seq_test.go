package sstable

import (
	"errors"
	"fmt"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/testutil"
)

// TestGlobalSeqNum: a table written for ingest, opened at a global
// seqnum, returns every key, tombstone and bound at that seqnum, and its
// seeks agree with a brute-force search over the entries as read, for
// seek keys below, at and above the global seqnum.
func TestGlobalSeqNum(t *testing.T) {
	seed := testSeed(t)
	const global = base.SeqNum(50)
	for i := range uint64(10) {
		t.Run(fmt.Sprintf("seed=%d", seed+i), func(t *testing.T) {
			ops, dels := randomIngestTable(seed + i)
			f := writeIngestTable(t, ops, dels)
			r, err := Open(f, int64(len(f.data)), ReaderOptions{Comparer: base.DefaultComparer, GlobalSeqNum: global})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if err := r.VerifyChecksums(); err != nil {
				t.Fatalf("VerifyChecksums: %v", err)
			}
			var want []base.InternalKey
			for _, op := range ops {
				want = append(want, base.MakeInternalKey(op.key, global, op.kind))
			}
			got := scanForward(t, r)
			if len(got) != len(want) {
				t.Fatalf("read %d entries, wrote %d", len(got), len(want))
			}
			for j, e := range got {
				if !sameKey(e.key, want[j]) {
					t.Fatalf("entry %d: %s, want %s", j, e.key, want[j])
				}
			}
			for _, d := range r.RangeDels() {
				if d.Seq != global {
					t.Fatalf("range tombstone %s, want seqnum %d", d, global)
				}
			}
			if p := r.Properties(); !p.empty() && (p.SmallestSeq != global || p.LargestSeq != global ||
				(!p.Largest.IsExclusiveSentinel() && p.Largest.SeqNum() != global) || p.Smallest.SeqNum() != global) {
				t.Fatalf("properties %+v not at seqnum %d", p, global)
			}
			rng := testutil.NewRand(seed + i)
			for range 200 {
				var uk []byte
				if len(ops) > 0 && rng.IntN(2) == 0 {
					uk = ops[rng.IntN(len(ops))].key
				} else {
					uk = []byte(fmt.Sprintf("k%05d", rng.IntN(100000)))
				}
				seek := base.MakeInternalKey(uk, global-1+base.SeqNum(rng.IntN(3)), base.Kind(rng.IntN(2)))
				checkSeek(t, r, want, seek)
			}
		})
	}
}

// writeIngestTable writes ops and dels with Set, Delete and DeleteRange.
func writeIngestTable(t *testing.T, ops []ingestOp, dels []RangeDel) *memFile {
	t.Helper()
	f := &memFile{}
	w := NewWriter(f, WriterOptions{Comparer: base.DefaultComparer, BlockSize: 64, FileName: testFileName})
	for _, d := range dels {
		if err := w.DeleteRange(d.Start, d.End); err != nil {
			t.Fatal(err)
		}
	}
	for _, op := range ops {
		var err error
		if op.kind == base.KindSet {
			err = w.Set(op.key, op.value)
		} else {
			err = w.Delete(op.key)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Finish(); err != nil {
		t.Fatal(err)
	}
	return f.reopen()
}

// checkSeek compares SeekGE and SeekLT of seek with want, the entries as
// read in order.
func checkSeek(t *testing.T, r *Reader, want []base.InternalKey, seek base.InternalKey) {
	t.Helper()
	cmp := base.DefaultComparer
	ge := len(want)
	for j, k := range want {
		if cmp.CompareInternal(k, seek) >= 0 {
			ge = j
			break
		}
	}
	it := r.NewIter()
	defer it.Close()
	if ok := it.SeekGE(seek); ok != (ge < len(want)) || (ok && !sameKey(it.Key(), want[ge])) {
		t.Fatalf("SeekGE(%s): ok=%v at %v; want entry %d of %d", seek, ok, it.Key(), ge, len(want))
	}
	if ok := it.SeekLT(seek); ok != (ge > 0) || (ok && !sameKey(it.Key(), want[ge-1])) {
		t.Fatalf("SeekLT(%s): ok=%v at %v; want entry %d of %d", seek, ok, it.Key(), ge-1, len(want))
	}
}

// TestGlobalSeqNumRefusesSeqnums: a table holding seqnums other than 0
// cannot be read at a global seqnum.
func TestGlobalSeqNumRefusesSeqnums(t *testing.T) {
	f, _ := buildTable(t, WriterOptions{}, []kv{set("a", 3, "x")})
	_, err := Open(f, int64(len(f.data)), ReaderOptions{Comparer: base.DefaultComparer, GlobalSeqNum: 9})
	if !errors.Is(err, base.ErrCorruption) {
		t.Fatalf("Open at a global seqnum of a table at seqnum 3: %v, want ErrCorruption", err)
	}
}
