package sstable

import (
	"bytes"
	"fmt"
	"github.com/tempestdb/tempest/internal/testutil"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func testSeed(t testing.TB) uint64 { return testutil.Seed(t) }

// kv is one table entry.
type kv struct {
	key   base.InternalKey
	value []byte
}

func (e kv) String() string { return fmt.Sprintf("%s=%q", e.key, e.value) }

func rangeDel(start, end string, seq base.SeqNum) RangeDel {
	return RangeDel{Start: []byte(start), End: []byte(end), Seq: seq}
}

func ikey(k string, seq base.SeqNum, kind base.Kind) base.InternalKey {
	return base.MakeInternalKey([]byte(k), seq, kind)
}

func set(k string, seq base.SeqNum, v string) kv {
	return kv{ikey(k, seq, base.KindSet), []byte(v)}
}

func del(k string, seq base.SeqNum) kv {
	return kv{ikey(k, seq, base.KindDelete), nil}
}

// numbered returns n SET entries key%06d -> value%d with seqnums from 100.
func numbered(n int) []kv {
	entries := make([]kv, n)
	for i := range entries {
		entries[i] = set(fmt.Sprintf("key%06d", i), base.SeqNum(100+i), fmt.Sprintf("value%d", i))
	}
	return entries
}

const testFileName = "000042.sst"

// buildTable writes entries into a new table and returns an open copy of
// its bytes and the writer's Meta.
func buildTable(t testing.TB, opts WriterOptions, entries []kv) (*memFile, Meta) {
	t.Helper()
	return buildTableWithRangeDels(t, opts, entries, nil)
}

// buildTableWithRangeDels is buildTable for a table that also holds the
// range tombstones dels, added in their order, each after the point
// entries that precede its index in entries (the rest after the last).
func buildTableWithRangeDels(t testing.TB, opts WriterOptions, entries []kv, dels []RangeDel) (*memFile, Meta) {
	t.Helper()
	if opts.Comparer == nil {
		opts.Comparer = base.DefaultComparer
	}
	opts.FileName = testFileName
	f := &memFile{}
	w := NewWriter(f, opts)
	for i, e := range entries {
		if i < len(dels) {
			if err := w.AddRangeDel(dels[i].Start, dels[i].End, dels[i].Seq); err != nil {
				t.Fatalf("AddRangeDel(%s): %v", dels[i], err)
			}
		}
		if err := w.Add(e.key, e.value); err != nil {
			t.Fatalf("Add(%s): %v", e.key, err)
		}
	}
	for i := len(entries); i < len(dels); i++ {
		if err := w.AddRangeDel(dels[i].Start, dels[i].End, dels[i].Seq); err != nil {
			t.Fatalf("AddRangeDel(%s): %v", dels[i], err)
		}
	}
	m, err := w.Finish()
	if err != nil {
		t.Fatalf("Finish: %v", err)
	}
	if !f.closed || f.syncs != 1 {
		t.Fatalf("Finish left closed=%v syncs=%d, want closed after one sync", f.closed, f.syncs)
	}
	if m.Size != uint64(len(f.data)) {
		t.Fatalf("Meta.Size = %d, file has %d bytes", m.Size, len(f.data))
	}
	return f.reopen(), m
}

// openTable opens f with cmp (DefaultComparer if nil) and closes the
// Reader when the test ends.
func openTable(t testing.TB, f *memFile, cmp *base.Comparer) *Reader {
	t.Helper()
	if cmp == nil {
		cmp = base.DefaultComparer
	}
	r, err := Open(f, int64(len(f.data)), ReaderOptions{Comparer: cmp, FileName: testFileName})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("Reader.Close: %v", err)
		}
	})
	return r
}

// get is a point lookup at snapshot snap: the newest version of key with
// seqnum <= snap, if the bloom filter and the table have one.
func get(t testing.TB, r *Reader, key []byte, snap base.SeqNum) (value []byte, kind base.Kind, found bool) {
	t.Helper()
	if !r.MayContainPrefix(r.cmp.Prefix(key)) {
		return nil, 0, false
	}
	it := r.NewIter()
	defer func() {
		if err := it.Close(); err != nil {
			t.Fatalf("Iter.Close: %v", err)
		}
	}()
	if !it.SeekGE(base.MakeSearchKey(key, snap)) {
		if err := it.Error(); err != nil {
			t.Fatalf("SeekGE: %v", err)
		}
		return nil, 0, false
	}
	if !r.cmp.Equal(it.Key().UserKey, key) {
		return nil, 0, false
	}
	return bytes.Clone(it.Value()), it.Key().Kind(), true
}

// collect copies the entries an iterator yields from a positioning call
// start, moving with step, until it returns false.
func collect(it *Iter, ok bool, step func() bool) []kv {
	var out []kv
	for ; ok; ok = step() {
		out = append(out, kv{it.Key().Clone(), bytes.Clone(it.Value())})
	}
	return out
}

func scanForward(t testing.TB, r *Reader) []kv {
	t.Helper()
	it := r.NewIter()
	out := collect(it, it.First(), it.Next)
	if err := it.Close(); err != nil {
		t.Fatalf("forward scan: %v", err)
	}
	return out
}

func scanBackward(t testing.TB, r *Reader) []kv {
	t.Helper()
	it := r.NewIter()
	out := collect(it, it.Last(), it.Prev)
	if err := it.Close(); err != nil {
		t.Fatalf("backward scan: %v", err)
	}
	return out
}

func reversed(s []kv) []kv {
	out := make([]kv, len(s))
	for i, e := range s {
		out[len(s)-1-i] = e
	}
	return out
}

func equalKV(cmp *base.Comparer, a, b kv) bool {
	return cmp.CompareInternal(a.key, b.key) == 0 && bytes.Equal(a.value, b.value) &&
		bytes.Equal(a.key.UserKey, b.key.UserKey)
}

func requireEntries(t testing.TB, cmp *base.Comparer, got, want []kv) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d entries, want %d", len(got), len(want))
	}
	for i := range got {
		if !equalKV(cmp, got[i], want[i]) {
			t.Fatalf("entry %d: got %s, want %s", i, got[i], want[i])
		}
	}
}
