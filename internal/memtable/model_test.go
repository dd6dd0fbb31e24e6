package memtable

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
)

// model is the oracle: a slice kept in memtable order, with equal internal
// keys in reverse insertion order.
type model struct {
	cmp     *base.Comparer
	entries []modelEntry
}

type modelEntry struct {
	key   base.InternalKey
	value []byte
}

func (md *model) add(key base.InternalKey, value []byte) {
	i := md.seekGE(key)
	md.entries = append(md.entries, modelEntry{})
	copy(md.entries[i+1:], md.entries[i:])
	md.entries[i] = modelEntry{key: key.Clone(), value: append([]byte(nil), value...)}
}

// seekGE is the index of the first entry >= key (len when none).
func (md *model) seekGE(key base.InternalKey) int {
	return sort.Search(len(md.entries), func(i int) bool {
		return md.cmp.CompareInternal(md.entries[i].key, key) >= 0
	})
}

// seekLT is the index of the last entry < key (-1 when none).
func (md *model) seekLT(key base.InternalKey) int { return md.seekGE(key) - 1 }

// keyGen draws user keys from a tiny alphabet so that duplicates, shared
// prefixes and empty keys are frequent.
type keyGen struct {
	rng    *rand.Rand
	maxLen int
}

func (g keyGen) userKey() []byte {
	k := make([]byte, g.rng.IntN(g.maxLen+1))
	for i := range k {
		k[i] = "abc\x00\xff"[g.rng.IntN(5)]
	}
	return k
}

func (g keyGen) trailer() base.Trailer {
	switch g.rng.IntN(20) {
	case 0:
		return base.TrailerMax
	case 1:
		return 0
	}
	return base.MakeTrailer(base.SeqNum(g.rng.IntN(6)), base.Kind(g.rng.IntN(2)))
}

func (g keyGen) key() base.InternalKey {
	return base.InternalKey{UserKey: g.userKey(), Trailer: g.trailer()}
}

// checkAt verifies that the iterator's state (valid) matches model index i.
func checkAt(t *testing.T, md *model, it *Iter, valid bool, i int, what string) {
	t.Helper()
	want := i >= 0 && i < len(md.entries)
	if valid != want {
		t.Fatalf("%s: valid=%v, model index %d of %d", what, valid, i, len(md.entries))
	}
	if !valid {
		if it.Key().UserKey != nil || it.Value() != nil {
			t.Fatalf("%s: unpositioned iterator has key %s value %q", what, it.Key(), it.Value())
		}
		return
	}
	e := md.entries[i]
	k := it.Key()
	if k.Trailer != e.key.Trailer || !bytes.Equal(k.UserKey, e.key.UserKey) || !bytes.Equal(it.Value(), e.value) {
		t.Fatalf("%s: at model index %d got %s=%q, want %s=%q", what, i, k, it.Value(), e.key, e.value)
	}
}

// checkModel compares full scans, random seeks and random direction
// switches against the model.
func checkModel(t *testing.T, m *Memtable, md *model, g keyGen, walks int) {
	t.Helper()
	if err := m.checkInvariants(); err != nil {
		t.Fatal(err)
	}
	if m.Count() != int64(len(md.entries)) || m.Empty() != (len(md.entries) == 0) {
		t.Fatalf("Count=%d Empty=%v, model has %d", m.Count(), m.Empty(), len(md.entries))
	}
	it := m.NewIter()
	defer it.Close()

	i := 0
	for ok := it.First(); ok; ok = it.Next() {
		checkAt(t, md, it, true, i, "forward scan")
		i++
	}
	checkAt(t, md, it, false, i, "forward scan end")
	if it.Next() {
		t.Fatal("Next after the end returned true")
	}
	i = len(md.entries) - 1
	for ok := it.Last(); ok; ok = it.Prev() {
		checkAt(t, md, it, true, i, "backward scan")
		i--
	}
	checkAt(t, md, it, false, i, "backward scan end")
	if it.Prev() {
		t.Fatal("Prev before the start returned true")
	}

	for w := 0; w < walks; w++ {
		var valid bool
		var what string
		switch g.rng.IntN(4) {
		case 0:
			valid, i, what = it.First(), 0, "First"
		case 1:
			valid, i, what = it.Last(), len(md.entries)-1, "Last"
		case 2:
			k := g.key()
			valid, i, what = it.SeekGE(k), md.seekGE(k), "SeekGE("+k.String()+")"
		case 3:
			k := g.key()
			valid, i, what = it.SeekLT(k), md.seekLT(k), "SeekLT("+k.String()+")"
		}
		checkAt(t, md, it, valid, i, what)
		for s := 0; valid && s < 12; s++ {
			if g.rng.IntN(2) == 0 {
				valid, i = it.Next(), i+1
				what += ".Next"
			} else {
				valid, i = it.Prev(), i-1
				what += ".Prev"
			}
			checkAt(t, md, it, valid, i, what)
		}
	}
}

func TestModel(t *testing.T) {
	for _, tc := range []struct {
		name string
		cmp  *base.Comparer
	}{
		{"default", base.DefaultComparer},
		{"fixed-suffix-2", base.FixedSuffixComparer(2)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng, seed := testRand(t)
			g := keyGen{rng: rng, maxLen: 4}
			m := New(tc.cmp, 4<<20, seed)
			md := &model{cmp: tc.cmp}
			checkModel(t, m, md, g, 10)
			const n = 4000
			for i := 0; i < n; i++ {
				k := g.key()
				v := []byte("v" + strconv.Itoa(i))
				if err := m.Add(k, v); err != nil {
					t.Fatalf("Add #%d: %v", i, err)
				}
				md.add(k, v)
				// Clobber the caller's buffers: the memtable must own copies.
				for j := range k.UserKey {
					k.UserKey[j] = '!'
				}
				v[0] = '!'
				if i < 50 || i%500 == 499 {
					checkModel(t, m, md, g, 300)
				}
			}
		})
	}
}

func TestDuplicateInternalKey(t *testing.T) {
	m := New(base.DefaultComparer, 1<<16, 1)
	k := base.MakeInternalKey([]byte("k"), 100, base.KindSet)
	for _, v := range []string{"first", "second", "third"} {
		if err := m.Add(k, []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	// Neighbours on both sides, by trailer.
	if err := m.Add(base.MakeInternalKey([]byte("k"), 101, base.KindSet), []byte("newer")); err != nil {
		t.Fatal(err)
	}
	if err := m.Add(base.MakeInternalKey([]byte("k"), 99, base.KindDelete), nil); err != nil {
		t.Fatal(err)
	}
	want := []string{"newer", "third", "second", "first", ""}
	var got []string
	it := m.NewIter()
	for ok := it.First(); ok; ok = it.Next() {
		got = append(got, string(it.Value()))
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("forward: got %q, want %q", got, want)
	}
	if !it.SeekGE(k) || string(it.Value()) != "third" {
		t.Fatalf("SeekGE(%s) = %s %q, want the latest insertion", k, it.Key(), it.Value())
	}
	if !it.SeekLT(base.MakeInternalKey([]byte("k"), 99, base.KindDelete)) || string(it.Value()) != "first" {
		t.Fatalf("SeekLT = %s %q, want the earliest insertion", it.Key(), it.Value())
	}
	if !it.Prev() || string(it.Value()) != "second" {
		t.Fatalf("Prev = %s %q, want second", it.Key(), it.Value())
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestFixedSuffixOrder(t *testing.T) {
	cmp := base.FixedSuffixComparer(2)
	m := New(cmp, 1<<16, 7)
	add := func(k string, seq base.SeqNum) {
		t.Helper()
		if err := m.Add(base.MakeInternalKey([]byte(k), seq, base.KindSet), []byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	// Inserted shuffled; the suffix is the last two bytes (a version).
	add("b\x00\x01", 1)
	add("a\x00\x09", 2)
	add("a\x00\x01", 3)
	add("b\x00\x02", 4)
	add("a\x01\x00", 5)
	add("a\x00\x09", 6)
	add("x", 7) // shorter than the suffix: no suffix
	add("ab\x00\x05", 8)
	want := []string{
		"a\x01\x00#5", "a\x00\x09#6", "a\x00\x09#2", "a\x00\x01#3", // prefix "a": suffix descending, then seq descending
		"ab\x00\x05#8",
		"b\x00\x02#4", "b\x00\x01#1",
		"x#7",
	}
	var got []string
	it := m.NewIter()
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		got = append(got, fmt.Sprintf("%s#%d", it.Key().UserKey, it.Key().SeqNum()))
	}
	if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
	// SeekGE with a search key for prefix "a" at version 0x0005 lands on
	// the newest version <= it.
	if !it.SeekGE(base.MakeSearchKey([]byte("a\x00\x05"), base.SeqNumMax)) || string(it.Key().UserKey) != "a\x00\x01" {
		t.Fatalf("SeekGE version landed on %s", it.Key().Pretty(cmp))
	}
}

// TestAddOrderedRuns mixes ascending runs (where Add reuses the previous
// splice), descending runs, repeated internal keys and random keys, and
// checks the list against the model and the skiplist invariants.
func TestAddOrderedRuns(t *testing.T) {
	for _, cmp := range []*base.Comparer{base.DefaultComparer, base.FixedSuffixComparer(2)} {
		t.Run(cmp.Name, func(t *testing.T) {
			rng, seed := testRand(t)
			m := New(cmp, 8<<20, seed)
			md := &model{cmp: cmp}
			var last base.InternalKey
			key := func(n uint64) []byte { return binary.BigEndian.AppendUint64([]byte("k"), n) }
			for i := 0; i < 20000; {
				run := 1 + rng.IntN(300)
				start := rng.Uint64N(1 << 20)
				mode := rng.IntN(4)
				for j := 0; j < run; j, i = j+1, i+1 {
					var k base.InternalKey
					switch mode {
					case 0: // ascending user keys
						k = base.MakeInternalKey(key(start+uint64(j)*uint64(1+rng.IntN(3))), base.SeqNum(i), base.KindSet)
					case 1: // descending
						k = base.MakeInternalKey(key(start-uint64(j)), base.SeqNum(i), base.KindSet)
					case 2: // the same user key with descending seqnums, then an equal internal key
						k = base.MakeInternalKey(key(start), base.SeqNum(1<<30-i), base.KindSet)
						if j%7 == 6 {
							k = last.Clone()
						}
					default:
						k = base.MakeInternalKey(key(rng.Uint64N(1<<20)), base.SeqNum(i), base.KindSet)
					}
					v := []byte("v" + strconv.Itoa(i))
					if err := m.Add(k, v); err != nil {
						t.Fatalf("Add #%d: %v", i, err)
					}
					md.add(k, v)
					last = k
				}
				if err := m.checkInvariants(); err != nil {
					t.Fatalf("after %d adds: %v", i, err)
				}
			}
			checkModel(t, m, md, keyGen{rng: rng, maxLen: 4}, 50)
		})
	}
}
