package sstable

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/cache"
	"github.com/tempestdb/tempest/vfs"
)

// modelTable is a randomly generated table and its options.
type modelTable struct {
	cmp       *base.Comparer
	opts      WriterOptions
	cacheSize int64 // block cache capacity; 0: no cache
	entries   []kv  // sorted, distinct internal keys
	rangeDels []RangeDel
	// delAt[i] is the number of point entries added before rangeDels[i].
	delAt []int
}

func randomUserKey(rng *rand.Rand, cmp *base.Comparer) []byte {
	const alphabet = "abc"
	k := make([]byte, rng.IntN(6))
	for i := range k {
		k[i] = alphabet[rng.IntN(len(alphabet))]
	}
	if cmp != base.DefaultComparer {
		k = binary.BigEndian.AppendUint64(k, rng.Uint64N(4))
	}
	return k
}

func randomTable(rng *rand.Rand) modelTable {
	m := modelTable{cmp: base.DefaultComparer}
	if rng.IntN(3) == 0 {
		m.cmp = base.FixedSuffixComparer(8)
	}
	n := rng.IntN(2000)
	if rng.IntN(8) == 0 {
		n = rng.IntN(3)
	}
	for range n {
		key := base.MakeInternalKey(randomUserKey(rng, m.cmp), base.SeqNum(rng.Uint64N(1000)), base.Kind(rng.IntN(2)))
		var value []byte
		if key.Kind() == base.KindSet {
			size := rng.IntN(40)
			if rng.IntN(50) == 0 {
				size = rng.IntN(10000)
			}
			value = make([]byte, size)
			random := rng.IntN(2) == 0 // else compressible: a short pattern repeated
			for i := range value {
				if random || i < 3 {
					value[i] = byte(rng.Uint32())
				} else {
					value[i] = value[i%3]
				}
			}
		}
		m.entries = append(m.entries, kv{key, value})
	}
	slices.SortFunc(m.entries, func(a, b kv) int { return m.cmp.CompareInternal(a.key, b.key) })
	m.entries = slices.CompactFunc(m.entries, func(a, b kv) bool { return m.cmp.CompareInternal(a.key, b.key) == 0 })
	nDels := []int{0, rng.IntN(4), rng.IntN(40), rng.IntN(1000)}[rng.IntN(4)]
	for len(m.rangeDels) < nDels {
		start, end := randomUserKey(rng, m.cmp), randomUserKey(rng, m.cmp)
		switch c := m.cmp.Compare(start, end); {
		case c == 0:
			continue
		case c > 0:
			start, end = end, start
		}
		m.rangeDels = append(m.rangeDels, RangeDel{Start: start, End: end, Seq: base.SeqNum(rng.Uint64N(1000))})
		m.delAt = append(m.delAt, rng.IntN(len(m.entries)+1))
	}
	slices.Sort(m.delAt)
	m.opts = WriterOptions{
		Comparer:        m.cmp,
		BlockSize:       []int{1, 64, 512, 4096}[rng.IntN(4)],
		RestartInterval: []int{1, 2, 3, 16}[rng.IntN(4)],
		BloomFPR:        []float64{0, -1, 0.3}[rng.IntN(3)],
		EstimatedKeys:   []int{0, len(m.entries), len(m.entries) / 10}[rng.IntN(3)],
		Compression:     compressions[rng.IntN(len(compressions))],
		FileName:        "model.sst",
	}
	// No cache, one smaller than the table (constant eviction), or one
	// that holds it all.
	m.cacheSize = []int64{0, 32 << 10, 64 << 20}[rng.IntN(3)]
	return m
}

// searchKey returns a key near the table's keys: an existing key, another
// version of an existing user key, or a random key.
func (m *modelTable) searchKey(rng *rand.Rand) base.InternalKey {
	if len(m.entries) > 0 && rng.IntN(3) > 0 {
		k := m.entries[rng.IntN(len(m.entries))].key
		if rng.IntN(2) == 0 {
			return k
		}
		return base.MakeInternalKey(k.UserKey, base.SeqNum(rng.Uint64N(1001)), base.Kind(rng.IntN(2)))
	}
	return base.MakeInternalKey(randomUserKey(rng, m.cmp), base.SeqNum(rng.Uint64N(1001)), base.Kind(rng.IntN(2)))
}

// seekGE returns the position of the first entry >= key.
func (m *modelTable) seekGE(key base.InternalKey) int {
	i, _ := slices.BinarySearchFunc(m.entries, key, func(e kv, k base.InternalKey) int {
		return m.cmp.CompareInternal(e.key, k)
	})
	return i
}

func TestModel(t *testing.T) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	rounds := 40
	if testing.Short() {
		rounds = 10
	}
	for round := range rounds {
		m := randomTable(rng)
		t.Run(fmt.Sprint(round), func(t *testing.T) {
			t.Logf("%d entries, %d range tombstones, options %+v, cache %d bytes",
				len(m.entries), len(m.rangeDels), m.opts, m.cacheSize)
			runModel(t, rng, &m)
		})
	}
}

func runModel(t *testing.T, rng *rand.Rand, m *modelTable) {
	fs := vfs.NewMem()
	wf, err := fs.Create("model.sst")
	if err != nil {
		t.Fatal(err)
	}
	w := NewWriter(wf, m.opts)
	d := 0
	addRangeDels := func(upTo int) {
		for ; d < len(m.rangeDels) && m.delAt[d] <= upTo; d++ {
			if err := w.AddRangeDel(m.rangeDels[d].Start, m.rangeDels[d].End, m.rangeDels[d].Seq); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i, e := range m.entries {
		addRangeDels(i)
		if err := w.Add(e.key, e.value); err != nil {
			t.Fatal(err)
		}
	}
	addRangeDels(len(m.entries))
	meta, err := w.Finish()
	if err != nil {
		t.Fatal(err)
	}
	checkMeta(t, m, meta)

	f, err := fs.Open("model.sst")
	if err != nil {
		t.Fatal(err)
	}
	size, err := f.Size()
	if err != nil || uint64(size) != meta.Size {
		t.Fatalf("file size %d (%v), Meta.Size %d", size, err, meta.Size)
	}
	var bc *cache.Cache
	if m.cacheSize > 0 {
		bc = cache.New(m.cacheSize)
	}
	r, err := Open(f, size, ReaderOptions{Comparer: m.cmp, FileName: "model.sst", Cache: bc, FileNum: 9})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		if bc == nil {
			return
		}
		t.Logf("block cache: %+v", bc.Metrics())
		if cm := bc.Metrics(); cm.Count != 0 || cm.Reserved != 0 {
			t.Fatalf("block cache after Close: %+v", cm)
		}
	}()
	if err := r.VerifyChecksums(); err != nil {
		t.Fatal(err)
	}
	requireEntries(t, m.cmp, scanForward(t, r), m.entries)
	requireEntries(t, m.cmp, scanBackward(t, r), reversed(m.entries))
	requireRangeDels(t, r.RangeDels(), m.sortedRangeDels())
	for _, e := range m.entries {
		if !r.MayContainPrefix(m.cmp.Prefix(e.key.UserKey)) {
			t.Fatalf("bloom filter rejects %s", e.key.Pretty(m.cmp))
		}
	}
	checkRandomOps(t, rng, m, r)
}

// sortedRangeDels returns the model's tombstones in block order: start
// ascending, seqnum descending, end ascending.
func (m *modelTable) sortedRangeDels() []RangeDel {
	dels := slices.Clone(m.rangeDels)
	slices.SortStableFunc(dels, func(a, b RangeDel) int {
		if c := m.cmp.Compare(a.Start, b.Start); c != 0 {
			return c
		}
		if a.Seq != b.Seq {
			return -cmp.Compare(a.Seq, b.Seq)
		}
		return m.cmp.Compare(a.End, b.End)
	})
	return dels
}

func checkMeta(t *testing.T, m *modelTable, meta Meta) {
	t.Helper()
	var deletes uint64
	var smallest, largest base.InternalKey
	var minSeq, maxSeq base.SeqNum
	seen := false
	// widen takes k as a bound if it is strictly beyond the current one:
	// point keys come first, so they win ties.
	widen := func(k base.InternalKey) {
		if s := k.SeqNum(); !seen {
			smallest, largest, seen = k, k, true
			if !k.IsExclusiveSentinel() {
				minSeq, maxSeq = s, s
			}
			return
		} else if !k.IsExclusiveSentinel() {
			minSeq, maxSeq = min(minSeq, s), max(maxSeq, s)
		}
		if m.cmp.CompareInternal(k, smallest) < 0 {
			smallest = k
		}
		if m.cmp.CompareInternal(k, largest) > 0 {
			largest = k
		}
	}
	for _, e := range m.entries {
		if e.key.Kind() == base.KindDelete {
			deletes++
		}
		widen(e.key)
	}
	for _, d := range m.rangeDels {
		widen(base.MakeInternalKey(d.Start, d.Seq, base.KindRangeDelete))
	}
	for _, d := range m.rangeDels {
		widen(base.MakeInternalKey(d.End, base.SeqNumMax, base.KindRangeDelete))
	}
	if meta.EntryCount != uint64(len(m.entries)) || meta.DeletionCount != deletes ||
		meta.RangeDelCount != uint64(len(m.rangeDels)) || meta.SmallestSeq != minSeq || meta.LargestSeq != maxSeq {
		t.Fatalf("meta %+v: want %d entries, %d deletions, %d range deletions, seqnums [%d, %d]",
			meta, len(m.entries), deletes, len(m.rangeDels), minSeq, maxSeq)
	}
	if !sameKey(meta.Smallest, smallest) || !sameKey(meta.Largest, largest) {
		t.Fatalf("meta bounds %s, %s, want %s, %s", meta.Smallest, meta.Largest, smallest, largest)
	}
}

// checkRandomOps drives an iterator with random seeks and steps in both
// directions and compares each result with the model.
func checkRandomOps(t *testing.T, rng *rand.Rand, m *modelTable, r *Reader) {
	it := r.NewIter()
	defer func() {
		if err := it.Close(); err != nil {
			t.Fatal(err)
		}
	}()
	n := len(m.entries)
	pos := -1 // model position; valid when 0 <= pos < n
	var history []string
	for step := range 2000 {
		var op string
		var ok bool
		valid := pos >= 0 && pos < n
		switch c := rng.IntN(10); {
		case c < 3 && valid:
			op, ok = "Next", it.Next()
			pos++
		case c < 6 && valid:
			op, ok = "Prev", it.Prev()
			pos--
		case c < 7:
			op, ok = "First", it.First()
			pos = 0
		case c < 8:
			op, ok = "Last", it.Last()
			pos = n - 1
		case c < 9:
			k := m.searchKey(rng)
			op, ok = "SeekGE("+k.Pretty(m.cmp)+")", it.SeekGE(k)
			pos = m.seekGE(k)
		default:
			k := m.searchKey(rng)
			op, ok = "SeekLT("+k.Pretty(m.cmp)+")", it.SeekLT(k)
			pos = m.seekGE(k) - 1
		}
		history = append(history, op)
		if len(history) > 8 {
			history = history[1:]
		}
		if err := it.Error(); err != nil {
			t.Fatalf("step %d %s: %v", step, op, err)
		}
		wantOK := pos >= 0 && pos < n
		if ok != wantOK {
			t.Fatalf("step %d: %s = %v, want %v (after %v)", step, op, ok, wantOK, history)
		}
		if ok && !equalKV(m.cmp, kv{it.Key(), it.Value()}, m.entries[pos]) {
			t.Fatalf("step %d: %s at %s, want %s (after %v)", step, op,
				it.Key().Pretty(m.cmp), m.entries[pos].key.Pretty(m.cmp), history)
		}
	}
	// Point lookups at random snapshots agree with the model.
	for range 200 {
		k := m.searchKey(rng)
		snap := k.SeqNum()
		want := m.seekGE(base.MakeSearchKey(k.UserKey, snap))
		wantOK := want < n && m.cmp.Equal(m.entries[want].key.UserKey, k.UserKey)
		v, kind, ok := get(t, r, k.UserKey, snap)
		if ok != wantOK || (ok && (kind != m.entries[want].key.Kind() || !bytes.Equal(v, m.entries[want].value))) {
			t.Fatalf("get(%s@%d) = %q %s %v, want found=%v", m.cmp.Format(k.UserKey), snap, v, kind, ok, wantOK)
		}
	}
}
