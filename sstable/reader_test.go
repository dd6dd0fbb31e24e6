package sstable

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/crc"
)

func TestGetExistingAndMissing(t *testing.T) {
	entries := numbered(1000)
	f, _ := buildTable(t, WriterOptions{BlockSize: 512}, entries)
	r := openTable(t, f, nil)
	for i, e := range entries {
		v, kind, ok := get(t, r, e.key.UserKey, base.SeqNumMax)
		if !ok || kind != base.KindSet || !bytes.Equal(v, e.value) {
			t.Fatalf("get(%s) = %q, %s, %v", e.key.UserKey, v, kind, ok)
		}
		// A key between two existing ones, and past either end.
		if _, _, ok := get(t, r, []byte(fmt.Sprintf("key%06d5", i)), base.SeqNumMax); ok {
			t.Fatalf("found missing key after %s", e.key.UserKey)
		}
	}
	for _, k := range []string{"", "a", "key", "zzz"} {
		if _, _, ok := get(t, r, []byte(k), base.SeqNumMax); ok {
			t.Fatalf("found missing key %q", k)
		}
	}
}

func TestBloomRejectsMissing(t *testing.T) {
	f, _ := buildTable(t, WriterOptions{}, numbered(100))
	r := openTable(t, f, nil)
	rejected := 0
	for i := range 1000 {
		if !r.MayContainPrefix([]byte(fmt.Sprintf("missing%d", i))) {
			rejected++
		}
	}
	if rejected < 950 {
		t.Fatalf("bloom rejected %d of 1000 missing keys", rejected)
	}
	// With the filter disabled every query passes.
	f, _ = buildTable(t, WriterOptions{BloomFPR: -1}, numbered(100))
	r = openTable(t, f, nil)
	if !r.MayContainPrefix([]byte("missing")) {
		t.Fatal("table without a filter rejected a key")
	}
	if r.footer.bloomM != 0 || r.footer.bloom.size != 0 {
		t.Fatalf("disabled filter wrote m=%d, %d bytes", r.footer.bloomM, r.footer.bloom.size)
	}
}

func TestFirstAndLastKey(t *testing.T) {
	entries := numbered(300)
	f, _ := buildTable(t, WriterOptions{BlockSize: 128}, entries)
	r := openTable(t, f, nil)
	it := r.NewIter()
	defer it.Close()
	if !it.First() || !equalKV(r.cmp, kv{it.Key(), it.Value()}, entries[0]) {
		t.Fatalf("First: %v", it.Error())
	}
	if !it.Last() || !equalKV(r.cmp, kv{it.Key(), it.Value()}, entries[len(entries)-1]) {
		t.Fatalf("Last: %v", it.Error())
	}
	if it.Next() {
		t.Fatal("Next after Last returned an entry")
	}
	if !it.Prev() || !equalKV(r.cmp, kv{it.Key(), it.Value()}, entries[len(entries)-1]) {
		t.Fatal("Prev after exhausting forward did not return the last entry")
	}
	if !it.First() || it.Prev() {
		t.Fatal("Prev before First returned an entry")
	}
	if !it.Next() || !equalKV(r.cmp, kv{it.Key(), it.Value()}, entries[0]) {
		t.Fatal("Next after exhausting backward did not return the first entry")
	}
}

func TestManyKeysAcrossBlocks(t *testing.T) {
	entries := numbered(5000)
	f, _ := buildTable(t, WriterOptions{BlockSize: 256, RestartInterval: 4}, entries)
	r := openTable(t, f, nil)
	if r.Properties().DataBlockCount < 50 {
		t.Fatalf("%d data blocks", r.Properties().DataBlockCount)
	}
	requireEntries(t, r.cmp, scanForward(t, r), entries)
	requireEntries(t, r.cmp, scanBackward(t, r), reversed(entries))
	if err := r.VerifyChecksums(); err != nil {
		t.Fatal(err)
	}
}

func TestEmptyValueAndTombstone(t *testing.T) {
	entries := []kv{set("a", 5, ""), del("b", 6), set("b", 4, "old"), set("c", 3, "x")}
	f, m := buildTable(t, WriterOptions{}, entries)
	if m.DeletionCount != 1 {
		t.Fatalf("deletion count %d", m.DeletionCount)
	}
	r := openTable(t, f, nil)
	if v, kind, ok := get(t, r, []byte("a"), base.SeqNumMax); !ok || kind != base.KindSet || len(v) != 0 {
		t.Fatalf("get(a) = %q, %s, %v", v, kind, ok)
	}
	if _, kind, ok := get(t, r, []byte("b"), base.SeqNumMax); !ok || kind != base.KindDelete {
		t.Fatalf("get(b) = %s, %v, want the tombstone", kind, ok)
	}
	if v, kind, ok := get(t, r, []byte("b"), 5); !ok || kind != base.KindSet || string(v) != "old" {
		t.Fatalf("get(b@5) = %q, %s, %v", v, kind, ok)
	}
	requireEntries(t, r.cmp, scanForward(t, r), entries)
}

func TestTrailersPreserved(t *testing.T) {
	var entries []kv
	for i := range 200 {
		k := fmt.Sprintf("k%03d", i/3)
		seq := base.SeqNum(1<<40+1000) - base.SeqNum(i) // high bits in use
		if i%3 == 1 {
			entries = append(entries, del(k, seq))
		} else {
			entries = append(entries, set(k, seq, k))
		}
	}
	entries = append(entries, set("zzz", base.SeqNumMax, "max"))
	f, _ := buildTable(t, WriterOptions{BlockSize: 100}, entries)
	r := openTable(t, f, nil)
	got := scanForward(t, r)
	requireEntries(t, r.cmp, got, entries)
	for i := range got {
		if got[i].key.Trailer != entries[i].key.Trailer {
			t.Fatalf("entry %d: trailer %s, want %s", i, got[i].key.Trailer, entries[i].key.Trailer)
		}
	}
}

func TestIteratorMatchesGet(t *testing.T) {
	// Three versions per key; the iterator and a point lookup at each
	// version's seqnum must agree.
	var entries []kv
	for i := range 300 {
		for v := 3; v >= 1; v-- {
			entries = append(entries, set(fmt.Sprintf("key%04d", i), base.SeqNum(i*10+v), fmt.Sprintf("%d.%d", i, v)))
		}
	}
	f, _ := buildTable(t, WriterOptions{BlockSize: 200, RestartInterval: 3}, entries)
	r := openTable(t, f, nil)
	for _, e := range scanForward(t, r) {
		v, kind, ok := get(t, r, e.key.UserKey, e.key.SeqNum())
		if !ok || kind != e.key.Kind() || !bytes.Equal(v, e.value) {
			t.Fatalf("iterator has %s, get = %q %s %v", e, v, kind, ok)
		}
	}
}

func TestEmptyTable(t *testing.T) {
	f, m := buildTable(t, WriterOptions{}, nil)
	if m.EntryCount != 0 || m.SmallestSeq != 0 || m.LargestSeq != 0 || m.Smallest.UserKey != nil ||
		m.Size != uint64(len(f.data)) {
		t.Fatalf("meta = %+v", m)
	}
	r := openTable(t, f, nil)
	if r.MayContainPrefix(nil) || r.MayContainPrefix([]byte("a")) {
		t.Fatal("empty table may contain a key")
	}
	it := r.NewIter()
	for name, ok := range map[string]bool{
		"First": it.First(), "Last": it.Last(), "Next": it.Next(), "Prev": it.Prev(),
		"SeekGE": it.SeekGE(ikey("a", 1, base.KindSet)), "SeekLT": it.SeekLT(ikey("a", 1, base.KindSet)),
	} {
		if ok {
			t.Fatalf("%s on an empty table returned an entry", name)
		}
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.VerifyChecksums(); err != nil {
		t.Fatal(err)
	}
}

func TestEmptyUserKey(t *testing.T) {
	entries := []kv{set("", 9, "empty"), set("", 3, "older"), set("a", 1, "a")}
	f, m := buildTable(t, WriterOptions{}, entries)
	if len(m.Smallest.UserKey) != 0 || m.Smallest.SeqNum() != 9 {
		t.Fatalf("smallest = %s", m.Smallest)
	}
	r := openTable(t, f, nil)
	requireEntries(t, r.cmp, scanForward(t, r), entries)
	if v, _, ok := get(t, r, nil, base.SeqNumMax); !ok || string(v) != "empty" {
		t.Fatalf("get(\"\") = %q, %v", v, ok)
	}
}

func TestMagicVerified(t *testing.T) {
	f, _ := buildTable(t, WriterOptions{}, numbered(10))
	f.data[len(f.data)-footerLen] ^= 0xff
	_, err := Open(f, int64(len(f.data)), ReaderOptions{Comparer: base.DefaultComparer, FileName: testFileName})
	if !errors.Is(err, base.ErrCorruption) || !strings.Contains(err.Error(), "bad magic") ||
		!strings.Contains(err.Error(), testFileName) {
		t.Fatalf("Open with a corrupt magic: %v", err)
	}
	if !f.closed {
		t.Fatal("failed Open left the file open")
	}
}

func TestUnsupportedFormatVersion(t *testing.T) {
	f, _ := buildTable(t, WriterOptions{}, numbered(10))
	// A well-formed footer of a future version: checksum recomputed.
	ft := f.data[len(f.data)-footerLen:]
	binary.LittleEndian.PutUint32(ft[footerVersionOffset:], FormatVersion+1)
	binary.LittleEndian.PutUint64(ft[footerCRCStart:], crc.Checksum(ft[:footerCRCStart]))
	_, err := Open(f, int64(len(f.data)), ReaderOptions{Comparer: base.DefaultComparer})
	if !errors.Is(err, base.ErrCorruption) || !strings.Contains(err.Error(), "unsupported format version") {
		t.Fatalf("Open of version %d: %v", FormatVersion+1, err)
	}
}

func TestOpenChecks(t *testing.T) {
	good, _ := buildTable(t, WriterOptions{}, numbered(10))
	t.Run("comparer mismatch", func(t *testing.T) {
		_, err := Open(good.reopen(), int64(len(good.data)), ReaderOptions{Comparer: base.FixedSuffixComparer(8)})
		if !errors.Is(err, base.ErrInvalidArgument) || errors.Is(err, base.ErrCorruption) ||
			!strings.Contains(err.Error(), "written with comparer") {
			t.Fatalf("Open with another comparer: %v", err)
		}
	})
	t.Run("nil comparer", func(t *testing.T) {
		if _, err := Open(good.reopen(), int64(len(good.data)), ReaderOptions{}); !errors.Is(err, base.ErrInvalidArgument) {
			t.Fatalf("Open without a comparer: %v", err)
		}
	})
	t.Run("truncated", func(t *testing.T) {
		for _, n := range []int{0, 1, footerLen - 1, footerLen, len(good.data) / 2, len(good.data) - 1} {
			f := &memFile{data: good.data[:n:n]}
			if _, err := Open(f, int64(n), ReaderOptions{Comparer: base.DefaultComparer}); !errors.Is(err, base.ErrCorruption) {
				t.Fatalf("Open of the first %d bytes: %v", n, err)
			}
		}
	})
	t.Run("size larger than file", func(t *testing.T) {
		_, err := Open(good.reopen(), int64(len(good.data))+10, ReaderOptions{Comparer: base.DefaultComparer})
		if !errors.Is(err, base.ErrCorruption) {
			t.Fatalf("Open with a wrong size: %v", err)
		}
	})
	t.Run("read error", func(t *testing.T) {
		injected := errors.New("injected")
		f := good.reopen()
		f.failRead = injected
		if _, err := Open(f, int64(len(f.data)), ReaderOptions{Comparer: base.DefaultComparer}); !errors.Is(err, injected) {
			t.Fatalf("Open with a failing read: %v", err)
		}
	})
}

func TestIterReadError(t *testing.T) {
	// Many times the read-ahead window, so the scan reads the file again.
	f, _ := buildTable(t, WriterOptions{BlockSize: 64}, numbered(20000))
	r := openTable(t, f, nil)
	injected := errors.New("injected")
	it := r.NewIter()
	if !it.First() {
		t.Fatal(it.Error())
	}
	f.mu.Lock()
	f.failRead = injected
	f.mu.Unlock()
	for it.Next() {
	}
	if !errors.Is(it.Error(), injected) {
		t.Fatalf("Error() = %v, want the injected error", it.Error())
	}
	// Sticky: later positioning calls fail too.
	if it.First() || it.SeekGE(ikey("key000001", 1, base.KindSet)) {
		t.Fatal("positioning after an error succeeded")
	}
	if err := it.Close(); !errors.Is(err, injected) {
		t.Fatalf("Close = %v", err)
	}
	if it.First() || !errors.Is(it.Error(), base.ErrClosed) {
		t.Fatalf("iterator used after Close: %v", it.Error())
	}
	if err := r.VerifyChecksums(); !errors.Is(err, injected) {
		t.Fatalf("VerifyChecksums = %v", err)
	}
}

func TestReaderCloseTwice(t *testing.T) {
	f, _ := buildTable(t, WriterOptions{}, numbered(3))
	r, err := Open(f, int64(len(f.data)), ReaderOptions{Comparer: base.DefaultComparer})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); !errors.Is(err, base.ErrClosed) {
		t.Fatalf("second Close = %v", err)
	}
}

// Many iterators share one Reader (run with -race).
func TestConcurrentIterators(t *testing.T) {
	entries := numbered(2000)
	f, _ := buildTable(t, WriterOptions{BlockSize: 256}, entries)
	r := openTable(t, f, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			it := r.NewIter()
			defer it.Close()
			for i := g; i < len(entries); i += 7 {
				if !it.SeekGE(entries[i].key) || !bytes.Equal(it.Value(), entries[i].value) {
					errs <- fmt.Errorf("goroutine %d: SeekGE(%s) failed: %v", g, entries[i].key, it.Error())
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// The bloom filter hashes the comparer prefix, so every version of a
// prefix is found through it.
func TestPrefixBloomFixedSuffix(t *testing.T) {
	cmp := base.FixedSuffixComparer(8)
	var entries []kv
	for i := range 200 {
		for ts := uint64(3); ts >= 1; ts-- {
			k := binary.BigEndian.AppendUint64([]byte(fmt.Sprintf("row%04d", i)), ts)
			entries = append(entries, kv{base.MakeInternalKey(k, 7, base.KindSet), []byte("v")})
		}
	}
	f, _ := buildTable(t, WriterOptions{Comparer: cmp}, entries)
	r := openTable(t, f, cmp)
	for i := range 200 {
		if !r.MayContainPrefix([]byte(fmt.Sprintf("row%04d", i))) {
			t.Fatalf("bloom rejected prefix row%04d", i)
		}
	}
	requireEntries(t, cmp, scanForward(t, r), entries)
	// The prefix (not the whole key) is what was inserted.
	if r.filter.mayContain(entries[0].key.UserKey) && r.filter.mayContain(entries[3].key.UserKey) &&
		r.filter.mayContain(entries[6].key.UserKey) {
		t.Fatal("bloom matches three full keys: did it hash keys instead of prefixes?")
	}
}
