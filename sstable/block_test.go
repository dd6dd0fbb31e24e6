package sstable

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
)

// buildBlock encodes entries into one data block.
func buildBlock(restartInterval int, entries []kv) []byte {
	w := blockWriter{restartInterval: restartInterval}
	for _, e := range entries {
		w.add(e.key, e.value)
	}
	return bytes.Clone(w.finish())
}

func newBlockIter(t testing.TB, block []byte) *blockIter {
	t.Helper()
	it := &blockIter{}
	if err := it.init(base.DefaultComparer, block, "block", 0); err != nil {
		t.Fatalf("init: %v", err)
	}
	return it
}

// blockGet returns the newest version of key visible at snap, as the
// 0.0.1 block lookup did.
func blockGet(t testing.TB, block []byte, key string, snap base.SeqNum) (kv, bool) {
	t.Helper()
	it := newBlockIter(t, block)
	if !it.SeekGE(base.MakeSearchKey([]byte(key), snap)) {
		if it.err != nil {
			t.Fatal(it.err)
		}
		return kv{}, false
	}
	if string(it.ukey) != key {
		return kv{}, false
	}
	return kv{it.key().Clone(), bytes.Clone(it.val)}, true
}

func TestBlockNewestEligibleVersion(t *testing.T) {
	block := buildBlock(16, []kv{
		set("a", 30, "a30"), set("a", 20, "a20"), del("a", 15), set("a", 10, "a10"),
		set("b", 25, "b25"),
	})
	for _, tc := range []struct {
		snap base.SeqNum
		want string // value, "DEL", or "" for not found
	}{
		{base.SeqNumMax, "a30"}, {30, "a30"}, {29, "a20"}, {20, "a20"}, {19, "DEL"},
		{15, "DEL"}, {14, "a10"}, {10, "a10"}, {9, ""}, {0, ""},
	} {
		e, ok := blockGet(t, block, "a", tc.snap)
		got := ""
		if ok {
			got = string(e.value)
			if e.key.Kind() == base.KindDelete {
				got = "DEL"
			}
		}
		if got != tc.want {
			t.Errorf("get(a@%d) = %q, want %q", tc.snap, got, tc.want)
		}
	}
}

func TestBlockMVCCAcrossRestartBoundary(t *testing.T) {
	var entries []kv
	entries = append(entries, set("a", 1, "a"))
	for seq := base.SeqNum(60); seq >= 40; seq-- {
		entries = append(entries, set("k", seq, fmt.Sprint(uint64(seq))))
	}
	entries = append(entries, set("z", 1, "z"))
	for _, interval := range []int{1, 2, 3, 5, 16} {
		block := buildBlock(interval, entries)
		for snap := base.SeqNum(40); snap <= 60; snap++ {
			e, ok := blockGet(t, block, "k", snap)
			if !ok || string(e.value) != fmt.Sprint(uint64(snap)) {
				t.Fatalf("interval %d: get(k@%d) = %s, %v", interval, snap, e, ok)
			}
		}
		if e, ok := blockGet(t, block, "k", 70); !ok || string(e.value) != "60" {
			t.Fatalf("interval %d: get(k@70) = %s, %v", interval, e, ok)
		}
	}
}

func TestBlockDoesNotBleedIntoNextKey(t *testing.T) {
	block := buildBlock(2, []kv{set("a", 10, "a"), set("ab", 50, "ab"), set("b", 3, "b")})
	if e, ok := blockGet(t, block, "a", 5); ok {
		t.Fatalf("get(a@5) = %s: bled into the next key", e)
	}
	if e, ok := blockGet(t, block, "b", 2); ok {
		t.Fatalf("get(b@2) = %s", e)
	}
	if e, ok := blockGet(t, block, "aa", base.SeqNumMax); ok {
		t.Fatalf("get(aa) = %s", e)
	}
}

func TestBlockRestartIntervals(t *testing.T) {
	entries := numbered(100)
	for _, interval := range []int{1, 2, 3, 7, 16, 99, 100, 1000} {
		t.Run(fmt.Sprint(interval), func(t *testing.T) {
			block := buildBlock(interval, entries)
			it := newBlockIter(t, block)
			if want := (len(entries) + interval - 1) / interval; it.numRestarts != want {
				t.Fatalf("%d restarts, want %d", it.numRestarts, want)
			}
			for r := range it.numRestarts {
				e, err := it.decodeEntry(it.restartOffset(r), 0)
				if err != nil {
					t.Fatalf("restart %d: %v", r, err)
				}
				if want := entries[r*interval].key.UserKey; !bytes.Equal(e.unshared, want) {
					t.Fatalf("restart %d holds %q, want the full key %q", r, e.unshared, want)
				}
			}
			// Prefix compression applies between restarts.
			if interval > 1 && len(block) >= len(buildBlock(1, entries)) {
				t.Fatalf("interval %d block is %d bytes, no smaller than without compression", interval, len(block))
			}
			checkBlockIter(t, block, entries)
		})
	}
}

// checkBlockIter compares every positioning method of a block iterator
// with entries, the block's contents.
func checkBlockIter(t *testing.T, block []byte, entries []kv) {
	t.Helper()
	cmp := base.DefaultComparer
	it := newBlockIter(t, block)
	at := func(i int) {
		t.Helper()
		if !equalKV(cmp, kv{it.key(), it.val}, entries[i]) {
			t.Fatalf("at %s, want entry %d %s", it.key(), i, entries[i])
		}
	}
	var got []kv
	for ok := it.First(); ok; ok = it.Next() {
		got = append(got, kv{it.key().Clone(), bytes.Clone(it.val)})
	}
	requireEntries(t, cmp, got, entries)
	got = got[:0]
	for ok := it.Last(); ok; ok = it.Prev() {
		got = append(got, kv{it.key().Clone(), bytes.Clone(it.val)})
	}
	requireEntries(t, cmp, got, reversed(entries))
	for i, e := range entries {
		// SeekGE to an existing key, then step both ways.
		if !it.SeekGE(e.key) {
			t.Fatalf("SeekGE(%s) failed: %v", e.key, it.err)
		}
		at(i)
		if i > 0 {
			if !it.Prev() {
				t.Fatalf("Prev after SeekGE(%s) failed", e.key)
			}
			at(i - 1)
			if !it.Next() {
				t.Fatal("Next after Prev failed")
			}
			at(i)
		}
		// SeekLT lands on the previous entry.
		if ok := it.SeekLT(e.key); ok != (i > 0) {
			t.Fatalf("SeekLT(%s) = %v", e.key, ok)
		} else if ok {
			at(i - 1)
			if !it.Next() {
				t.Fatal("Next after SeekLT failed")
			}
			at(i)
		}
		// A key just after e: its next version down (seqnum-1).
		after := base.InternalKey{UserKey: e.key.UserKey, Trailer: base.MakeTrailer(e.key.SeqNum()-1, base.KindMax)}
		if ok := it.SeekGE(after); ok != (i+1 < len(entries)) {
			t.Fatalf("SeekGE(%s) = %v", after, ok)
		} else if ok {
			at(i + 1)
		}
		if !it.SeekLT(after) {
			t.Fatalf("SeekLT(%s) failed", after)
		}
		at(i)
	}
	if it.err != nil {
		t.Fatal(it.err)
	}
}

func TestBlockInitRejectsCorrupt(t *testing.T) {
	valid := buildBlock(2, numbered(5))
	u32 := func(vs ...uint32) []byte {
		var b []byte
		for _, v := range vs {
			b = binary.LittleEndian.AppendUint32(b, v)
		}
		return b
	}
	for name, b := range map[string][]byte{
		"empty":               nil,
		"short":               {1, 2, 3},
		"no restarts":         u32(0),
		"no entries":          u32(0, 1),
		"too many restarts":   append([]byte{0, 0, 0}, u32(1<<30)...),
		"restart 0 nonzero":   append(bytes.Repeat([]byte{0}, 20), u32(1, 1)...),
		"restart out of area": append(bytes.Repeat([]byte{0}, 20), u32(0, 20, 2)...),
		"restarts unsorted":   append(bytes.Repeat([]byte{0}, 20), u32(0, 10, 5, 3)...),
		"truncated valid":     valid[:len(valid)-1],
	} {
		it := &blockIter{}
		if err := it.init(base.DefaultComparer, b, "f", 100); !errors.Is(err, base.ErrCorruption) {
			t.Errorf("%s: init = %v", name, err)
		}
	}
}

func TestBlockDecodeRejectsCorrupt(t *testing.T) {
	entry := func(shared, unshared, vlen uint64, rest []byte) []byte {
		b := binary.AppendUvarint(nil, shared)
		b = binary.AppendUvarint(b, unshared)
		b = binary.AppendUvarint(b, vlen)
		return append(b, rest...)
	}
	withRestarts := func(entries []byte) []byte {
		return binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(entries, 0), 1)
	}
	trailer := binary.LittleEndian.AppendUint64(nil, uint64(base.MakeTrailer(1, base.KindSet)))
	for name, b := range map[string][]byte{
		"shared at first entry": withRestarts(entry(1, 1, 0, append([]byte("a"), trailer...))),
		"key overruns":          withRestarts(entry(0, 100, 0, append([]byte("a"), trailer...))),
		"value overruns":        withRestarts(entry(0, 1, 100, append([]byte("a"), trailer...))),
		"no trailer":            withRestarts(entry(0, 1, 0, []byte("abcd"))),
		"huge length":           withRestarts(entry(0, 1<<63, 0, append([]byte("a"), trailer...))),
		"bad varint":            withRestarts(bytes.Repeat([]byte{0xff}, 12)),
		"bad kind":              withRestarts(entry(0, 1, 0, append([]byte("a"), 9, 0, 0, 0, 0, 0, 0, 0))),
	} {
		it := newBlockIter(t, b)
		for op, f := range map[string]func() bool{
			"First": it.First, "Last": it.Last,
			"SeekGE": func() bool { return it.SeekGE(ikey("a", 1, base.KindSet)) },
			"SeekLT": func() bool { return it.SeekLT(ikey("b", 1, base.KindSet)) },
		} {
			it.err = nil
			if f() || !errors.Is(it.err, base.ErrCorruption) {
				t.Errorf("%s: %s gave err %v", name, op, it.err)
			}
		}
	}
}
