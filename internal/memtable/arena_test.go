package memtable

import (
	"bytes"
	"errors"
	"math"
	"strconv"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
)

func TestClampArenaSize(t *testing.T) {
	for _, tc := range []struct {
		in   int
		want uint64
	}{
		{math.MinInt, uint64(MinArenaSize)},
		{-1, uint64(MinArenaSize)},
		{0, uint64(MinArenaSize)},
		{MinArenaSize - 1, uint64(MinArenaSize)},
		{MinArenaSize, uint64(MinArenaSize)},
		{1001, 1000},
		{64 << 20, 64 << 20},
		{math.MaxInt32, math.MaxInt32 &^ 7},
	} {
		if got := clampArenaSize(tc.in); got != tc.want {
			t.Errorf("clampArenaSize(%d) = %d, want %d", tc.in, got, tc.want)
		}
	}
	if strconv.IntSize == 64 {
		big := uint64(1) << 40
		if got := clampArenaSize(int(big)); got != MaxArenaSize {
			t.Errorf("clampArenaSize(2^40) = %d, want %d", got, MaxArenaSize)
		}
		over := MaxArenaSize + 1
		if got := clampArenaSize(int(over)); got != MaxArenaSize {
			t.Errorf("clampArenaSize(MaxArenaSize+1) = %d, want %d", got, MaxArenaSize)
		}
	}
}

func TestNewSmall(t *testing.T) {
	for _, size := range []int{-5, 0, MinArenaSize} {
		m := New(base.DefaultComparer, size, 1)
		if m.Capacity() != uint64(MinArenaSize) || m.Size() != m.Capacity() {
			t.Fatalf("New(%d): Capacity %d Size %d, want both %d", size, m.Capacity(), m.Size(), MinArenaSize)
		}
		if !m.Empty() || m.Fits(1) || !m.Fits(0) {
			t.Fatalf("New(%d): Empty=%v Fits(1)=%v Fits(0)=%v", size, m.Empty(), m.Fits(1), m.Fits(0))
		}
		if err := m.Add(base.InternalKey{}, nil); !errors.Is(err, ErrArenaFull) {
			t.Fatalf("Add to a minimal arena: %v", err)
		}
		it := m.NewIter()
		if it.First() || it.Last() || it.SeekGE(base.InternalKey{}) || it.SeekLT(base.MakeSearchKey([]byte("z"), 0)) || it.Next() || it.Prev() {
			t.Fatal("an empty memtable yielded an entry")
		}
		if it.Key().UserKey != nil || it.Value() != nil || it.Error() != nil {
			t.Fatal("an unpositioned iterator reported a key, value or error")
		}
	}
}

func TestEntrySize(t *testing.T) {
	if got := EntrySize(3, 5); got != arenaAlign-1+maxNodeSize+8 {
		t.Fatalf("EntrySize(3, 5) = %d", got)
	}
	if maxNodeSize < towerOffset+4*maxHeight {
		t.Fatalf("maxNodeSize %d below the full tower", maxNodeSize)
	}
}

// TestArenaFull fills arenas with random entries: Add succeeds exactly when
// Fits(EntrySize) says so, and a failed Add changes nothing.
func TestArenaFull(t *testing.T) {
	rng, seed := testRand(t)
	g := keyGen{rng: rng, maxLen: 6}
	for round := 0; round < 20; round++ {
		size := 1024 + rng.IntN(16<<10)
		m := New(base.DefaultComparer, size, seed+uint64(round))
		md := &model{cmp: base.DefaultComparer}
		fails := 0
		for attempt := 0; attempt < 1000; attempt++ {
			k := g.key()
			v := bytes.Repeat([]byte{'v'}, rng.IntN(400))
			fits := m.Fits(EntrySize(len(k.UserKey), len(v)))
			size0, count0 := m.Size(), m.Count()
			err := m.Add(k, v)
			if fits != (err == nil) {
				t.Fatalf("round %d: Fits=%v but Add returned %v (Size %d of %d)", round, fits, err, size0, m.Capacity())
			}
			if err != nil {
				if !errors.Is(err, ErrArenaFull) {
					t.Fatalf("Add: %v", err)
				}
				if m.Size() != size0 || m.Count() != count0 {
					t.Fatalf("failed Add changed Size %d->%d Count %d->%d", size0, m.Size(), count0, m.Count())
				}
				fails++
				continue
			}
			md.add(k, v)
			if m.Size() > m.Capacity() {
				t.Fatalf("Size %d above Capacity %d", m.Size(), m.Capacity())
			}
			if used := m.Size() - size0; used > uint64(EntrySize(len(k.UserKey), len(v))) {
				t.Fatalf("Add used %d bytes, EntrySize promised at most %d", used, EntrySize(len(k.UserKey), len(v)))
			}
		}
		if fails == 0 {
			t.Fatalf("round %d: arena of %d bytes never filled", round, size)
		}
		checkModel(t, m, md, g, 50)
	}
}

// TestFitsBatch: when Fits(sum of EntrySize) holds, every Add of the batch
// succeeds, whatever heights the towers draw.
func TestFitsBatch(t *testing.T) {
	rng, seed := testRand(t)
	g := keyGen{rng: rng, maxLen: 8}
	m := New(base.DefaultComparer, 64<<10, seed)
	if m.Fits(-1) {
		t.Fatal("Fits(-1) is true")
	}
	for {
		type kv struct {
			k base.InternalKey
			v []byte
		}
		var batch []kv
		sum := 0
		for n := 1 + rng.IntN(20); n > 0; n-- {
			e := kv{g.key(), make([]byte, rng.IntN(100))}
			batch = append(batch, e)
			sum += EntrySize(len(e.k.UserKey), len(e.v))
		}
		if !m.Fits(sum) {
			break
		}
		for _, e := range batch {
			if err := m.Add(e.k, e.v); err != nil {
				t.Fatalf("Add inside a batch that Fits: %v", err)
			}
		}
	}
	if m.Capacity()-m.Size() > uint64(20*EntrySize(8, 100)) {
		t.Fatalf("stopped with %d bytes free", m.Capacity()-m.Size())
	}
}

// TestDeterministic: equal seeds and equal Adds give identical arenas, and
// a failed Add in between (too large) does not perturb the outcome.
func TestDeterministic(t *testing.T) {
	rng, seed := testRand(t)
	g := keyGen{rng: rng, maxLen: 5}
	a := New(base.DefaultComparer, 1<<20, seed)
	b := New(base.DefaultComparer, 1<<20, seed)
	huge := make([]byte, 2<<20)
	for i := 0; i < 2000; i++ {
		k, v := g.key(), []byte(strconv.Itoa(i))
		if i%100 == 0 {
			if err := b.Add(k, huge); !errors.Is(err, ErrArenaFull) {
				t.Fatalf("oversized Add: %v", err)
			}
		}
		if err := a.Add(k, v); err != nil {
			t.Fatal(err)
		}
		if err := b.Add(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if a.Size() != b.Size() || !bytes.Equal(a.arena.buf[:a.Size()], b.arena.buf[:b.Size()]) {
		t.Fatal("arenas differ")
	}
}

// TestHeightDistribution checks p = 1/e roughly and the cap, for both
// generators.
func TestHeightDistribution(t *testing.T) {
	_, seed := testRand(t)
	m := New(base.DefaultComparer, MinArenaSize, seed)
	var hist [maxHeight + 1]int
	const n = 1 << 16
	for i := 0; i < n; i++ {
		h := m.randomHeight()
		if h < 1 || h > maxHeight {
			t.Fatalf("height %d", h)
		}
		hist[h]++
	}
	for i := 0; i < n; i++ {
		hist[sharedRandomHeight()]++
	}
	// Expect 2n(1-1/e) (63.2%) at height 1, 2n(1/e)(1-1/e) (23.3%) at 2.
	if hist[1] < 2*n*60/100 || hist[1] > 2*n*66/100 || hist[2] < 2*n*21/100 || hist[2] > 2*n*26/100 {
		t.Fatalf("height histogram %v does not look like p=1/e", hist)
	}
	if hist[0] != 0 {
		t.Fatalf("height histogram %v: height 0 drawn", hist)
	}
}

func TestNoAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	m := New(base.DefaultComparer, 16<<20, 3)
	key := make([]byte, 16)
	val := make([]byte, 100)
	i := 0
	if n := testing.AllocsPerRun(1000, func() {
		i++
		key[0], key[1], key[2] = byte(i), byte(i>>8), byte(i>>16)
		if err := m.Add(base.MakeInternalKey(key, base.SeqNum(i), base.KindSet), val); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("Add allocates %.1f times", n)
	}
	it := m.NewIter()
	if n := testing.AllocsPerRun(1000, func() {
		i++
		key[0], key[1] = byte(i), byte(i>>8)
		if it.SeekGE(base.MakeSearchKey(key, base.SeqNumMax)) {
			it.Next()
			_ = it.Value()
		}
		it.SeekLT(base.MakeSearchKey(key, 0))
		it.Prev()
	}); n != 0 {
		t.Errorf("seeks allocate %.1f times", n)
	}
}
