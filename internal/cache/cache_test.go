package cache

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/tempestdb/tempest/internal/testutil"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func testSeed(t testing.TB) uint64 { return testutil.Seed(t) }

// checkInvariants verifies every shard's map, queues, sizes and ghost
// set.
func checkInvariants(t testing.TB, c *Cache) {
	t.Helper()
	var total int64
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		var size, smallSize int64
		n := 0
		for _, q := range []*queue{&s.mu.small, &s.mu.main} {
			for e := q.head.next; e != &q.head; e = e.next {
				if e.next.prev != e {
					t.Fatalf("shard %d: broken queue links", i)
				}
				if e.main != (q == &s.mu.main) {
					t.Fatalf("shard %d: entry %v on the wrong queue (main=%v)", i, e.key, e.main)
				}
				if s.mu.entries[e.key] != e {
					t.Fatalf("shard %d: queued entry %v not in the map", i, e.key)
				}
				if e.charge != int64(cap(e.value.buf))+EntryOverhead {
					t.Fatalf("shard %d: entry %v charged %d for %d bytes", i, e.key, e.charge, len(e.value.buf))
				}
				if e.freq > maxFreq {
					t.Fatalf("shard %d: entry %v freq %d", i, e.key, e.freq)
				}
				size += e.charge
				if !e.main {
					smallSize += e.charge
				}
				n++
			}
		}
		if n != len(s.mu.entries) || size != s.mu.size || smallSize != s.mu.smallSize {
			t.Fatalf("shard %d: %d entries queued, %d in the map; size %d (small %d), recorded %d (small %d)",
				i, n, len(s.mu.entries), size, smallSize, s.mu.size, s.mu.smallSize)
		}
		g := &s.mu.ghost
		live := 0
		for i := range g.n {
			it := g.ring[(g.head+i)%len(g.ring)]
			if it.seq > g.seq {
				t.Fatalf("shard %d: ghost sequence %d beyond %d", i, it.seq, g.seq)
			}
			if g.set[it.hash] == it.seq {
				live++
			}
		}
		if live != len(g.set) {
			t.Fatalf("shard %d: ghost set of %d hashes, %d of them in the ring", i, len(g.set), live)
		}
		s.mu.Unlock()
		total += size
	}
	if r := c.reserved.Load(); total+r != c.Size() {
		t.Fatalf("Size() = %d, shards hold %d plus %d reserved", c.Size(), total, r)
	}
}

// cached reports whether a value is cached under the key, without
// counting a hit.
func cached(c *Cache, id, fileNum, off uint64) bool {
	k := key{id: id, fileNum: fileNum, off: off}
	s := c.shardFor(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.mu.entries[k]
	return ok
}

// value returns a distinct value of n bytes for a key.
func value(id, fileNum, off uint64, n int) []byte {
	v := make([]byte, n)
	var seed [24]byte
	binary.LittleEndian.PutUint64(seed[0:], id)
	binary.LittleEndian.PutUint64(seed[8:], fileNum)
	binary.LittleEndian.PutUint64(seed[16:], off)
	for i := range v {
		v[i] = seed[i%len(seed)] ^ byte(i/len(seed))
	}
	return v
}

func mustGet(t *testing.T, c *Cache, id, fileNum, off uint64) []byte {
	t.Helper()
	h, ok := c.Get(id, fileNum, off)
	if !ok {
		t.Fatalf("Get(%d, %d, %d) missed", id, fileNum, off)
	}
	defer h.Release()
	return bytes.Clone(h.Value())
}

func mustMiss(t *testing.T, c *Cache, id, fileNum, off uint64) {
	t.Helper()
	if h, ok := c.Get(id, fileNum, off); ok {
		t.Fatalf("Get(%d, %d, %d) hit %d bytes, want a miss", id, fileNum, off, len(h.Value()))
	}
}

func TestGetSet(t *testing.T) {
	c := New(1 << 20)
	id := c.NewID()
	mustMiss(t, c, id, 1, 0)
	v := value(id, 1, 0, 100)
	h := c.Set(id, 1, 0, v)
	if !bytes.Equal(h.Value(), v) {
		t.Fatal("Set returned another value")
	}
	h.Release()
	if got := mustGet(t, c, id, 1, 0); !bytes.Equal(got, v) {
		t.Fatalf("Get = %x", got)
	}
	mustMiss(t, c, id, 1, 1)
	mustMiss(t, c, id, 2, 0)
	mustMiss(t, c, id+1, 1, 0)
	m := c.Metrics()
	if m.Hits != 1 || m.Misses != 4 || m.Count != 1 || m.BlockBytes != 100+EntryOverhead ||
		m.Size != m.BlockBytes || m.Capacity != 1<<20 {
		t.Fatalf("metrics %+v", m)
	}
	// Replacing a value charges the new size.
	c.Set(id, 1, 0, value(id, 1, 0, 300)).Release()
	if got := mustGet(t, c, id, 1, 0); len(got) != 300 {
		t.Fatalf("replaced value has %d bytes", len(got))
	}
	if m := c.Metrics(); m.Count != 1 || m.BlockBytes != 300+EntryOverhead {
		t.Fatalf("after replace: %+v", m)
	}
	checkInvariants(t, c)
	var zero Handle
	zero.Release()
	if zero.Value() != nil {
		t.Fatal("zero Handle has a value")
	}
}

func TestNewIDUnique(t *testing.T) {
	c := New(0)
	seen := map[uint64]bool{0: true}
	for range 1000 {
		id := c.NewID()
		if seen[id] {
			t.Fatalf("NewID returned %d twice (or 0)", id)
		}
		seen[id] = true
	}
}

func TestShardCount(t *testing.T) {
	for _, tc := range []struct {
		capacity int64
		shards   int
	}{
		{-5, 1}, {0, 1}, {1 << 20, 1}, {2 << 20, 2}, {5 << 20, 4}, {16 << 20, 16}, {1 << 40, 16},
	} {
		c := New(tc.capacity)
		if len(c.shards) != tc.shards || c.Capacity() != max(tc.capacity, 0) {
			t.Errorf("New(%d): %d shards, capacity %d; want %d shards", tc.capacity, len(c.shards), c.Capacity(), tc.shards)
		}
	}
}

// TestEvictionOrder walks a one-shard cache of ten equal entries through
// each S3-FIFO rule: a small-queue entry that was hit moves to the main
// queue, one that was not leaves (into the ghost set), a ghost comes back
// straight into the main queue, and the main queue gives hit entries a
// second pass and drops the oldest entry that was not hit.
func TestEvictionOrder(t *testing.T) {
	const size = 1000
	const charge = size + EntryOverhead
	c := New(10 * charge)
	if len(c.shards) != 1 {
		t.Fatalf("%d shards", len(c.shards))
	}
	id := c.NewID()
	set := func(off uint64) { c.Set(id, 1, off, value(id, 1, off, size)).Release() }
	expect := func(step string, present, absent []uint64) {
		t.Helper()
		for _, off := range present {
			if !cached(c, id, 1, off) {
				t.Fatalf("%s: %d evicted", step, off)
			}
		}
		for _, off := range absent {
			if cached(c, id, 1, off) {
				t.Fatalf("%s: %d still cached", step, off)
			}
		}
		checkInvariants(t, c)
	}
	for off := range uint64(10) {
		set(off)
		mustGet(t, c, id, 1, off)
	}
	// All ten were hit: they move to the main queue until the small queue
	// (10 alone) is within its share; then the main queue's oldest, 0, not
	// hit since it moved, goes.
	set(10)
	expect("hit entries promoted", []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, []uint64{0})
	// 10 was never hit: a new entry pushes it out of the small queue.
	set(11)
	expect("cold entry dropped", []uint64{11}, []uint64{0, 10})
	// 10 is a ghost: back, it joins the main queue, whose tail entries 1
	// and 2 (hit now) get a second pass while 3 goes.
	mustGet(t, c, id, 1, 1)
	mustGet(t, c, id, 1, 2)
	set(10)
	expect("second pass", []uint64{1, 2, 4, 5, 6, 7, 8, 9, 10, 11}, []uint64{0, 3})
	if m := c.Metrics(); m.Evictions != 3 || m.Count != 10 || m.Size != 10*charge {
		t.Fatalf("metrics %+v", m)
	}
	// Replacing a value keeps its entry and charges the new size.
	c.Set(id, 1, 4, value(id, 1, 4, size/2)).Release()
	if got := mustGet(t, c, id, 1, 4); !bytes.Equal(got, value(id, 1, 4, size/2)) {
		t.Fatal("replaced value not returned")
	}
	expect("replaced", []uint64{1, 2, 4, 5, 6, 7, 8, 9, 10, 11}, nil)
}

// TestScanResistance checks that a stream of blocks read once does not
// push out blocks read again: the stream passes through the small queue.
// An LRU cache fails this test.
func TestScanResistance(t *testing.T) {
	const size = 100
	const entries = 100
	c := New(entries * (size + EntryOverhead)) // one shard
	id := c.NewID()
	for off := range uint64(entries / 2) {
		c.Set(id, 1, off, value(id, 1, off, size)).Release()
		mustGet(t, c, id, 1, off)
	}
	for off := uint64(entries / 2); off < 20*entries; off++ {
		c.Set(id, 1, off, value(id, 1, off, size)).Release()
	}
	for off := range uint64(entries / 2) {
		if !cached(c, id, 1, off) {
			t.Fatalf("hot entry %d evicted by a stream of cold ones", off)
		}
	}
	checkInvariants(t, c)
}

// TestBudget inserts many values of random sizes and checks the size never
// exceeds the capacity, in small (one shard) and large (16 shards) caches.
func TestBudget(t *testing.T) {
	seed := testSeed(t)
	for _, capacity := range []int64{10_000, 3 << 20, 32 << 20} {
		rng := rand.New(rand.NewPCG(seed, uint64(capacity)))
		c := New(capacity)
		id := c.NewID()
		maxLen := int(capacity / int64(len(c.shards)) / 8)
		for i := range 3000 {
			n := rng.IntN(maxLen)
			c.Set(id, rng.Uint64N(10), uint64(i), make([]byte, n)).Release()
			if s := c.Size(); s > capacity {
				t.Fatalf("capacity %d: size %d after %d sets", capacity, s, i+1)
			}
		}
		m := c.Metrics()
		if m.Evictions == 0 || m.Count == 0 || m.Size < capacity/2 {
			t.Fatalf("capacity %d: %+v: expected a full cache that evicted", capacity, m)
		}
		checkInvariants(t, c)
	}
}

func TestOversizedValueNotCached(t *testing.T) {
	c := New(4096)
	id := c.NewID()
	c.Set(id, 1, 0, make([]byte, 100)).Release()
	big := make([]byte, 4096)
	big[0] = 7
	h := c.Set(id, 1, 1, big)
	if h.Value()[0] != 7 {
		t.Fatal("Set did not return the value")
	}
	h.Release()
	mustMiss(t, c, id, 1, 1)
	mustGet(t, c, id, 1, 0) // the small value was not evicted for nothing
	// Replacing a cached value by an oversized one drops the old value.
	c.Set(id, 1, 0, make([]byte, 4096)).Release()
	mustMiss(t, c, id, 1, 0)
	if m := c.Metrics(); m.Count != 0 || m.Size != 0 {
		t.Fatalf("metrics %+v", m)
	}
	checkInvariants(t, c)

	z := New(0)
	z.Set(1, 1, 1, []byte("x")).Release()
	mustMiss(t, z, 1, 1, 1)
}

func TestSharedByTwoIDs(t *testing.T) {
	c := New(64 << 20)
	a, b := c.NewID(), c.NewID()
	for off := range uint64(100) {
		c.Set(a, 7, off, value(a, 7, off, 64)).Release()
		c.Set(b, 7, off, value(b, 7, off, 64)).Release()
	}
	for off := range uint64(100) {
		if !bytes.Equal(mustGet(t, c, a, 7, off), value(a, 7, off, 64)) ||
			!bytes.Equal(mustGet(t, c, b, 7, off), value(b, 7, off, 64)) {
			t.Fatalf("offset %d: values of the two IDs mixed up", off)
		}
	}
	c.EvictFile(a, 7)
	for off := range uint64(100) {
		mustMiss(t, c, a, 7, off)
		mustGet(t, c, b, 7, off)
	}
	checkInvariants(t, c)
}

func TestEvictFile(t *testing.T) {
	c := New(64 << 20)
	id := c.NewID()
	for f := range uint64(5) {
		for off := range uint64(50) {
			c.Set(id, f, off*4096, value(id, f, off, 10)).Release()
		}
	}
	c.EvictFile(id, 2)
	c.EvictFile(id, 99) // not cached: nothing happens
	for f := range uint64(5) {
		for off := range uint64(50) {
			if f == 2 {
				mustMiss(t, c, id, f, off*4096)
			} else {
				mustGet(t, c, id, f, off*4096)
			}
		}
	}
	if m := c.Metrics(); m.Count != 200 || m.Evictions != 0 {
		t.Fatalf("metrics %+v", m)
	}
	checkInvariants(t, c)
	for f := range uint64(5) {
		c.EvictFile(id, f)
	}
	if m := c.Metrics(); m.Count != 0 || m.Size != 0 {
		t.Fatalf("after evicting every file: %+v", m)
	}
	checkInvariants(t, c)
}

// EvictID drops one namespace's blocks, of every file, and no other.
func TestEvictID(t *testing.T) {
	c := New(64 << 20)
	a, b := c.NewID(), c.NewID()
	for _, id := range []uint64{a, b} {
		for f := range uint64(3) {
			for off := range uint64(20) {
				c.Set(id, f, off*4096, value(id, f, off, 10)).Release()
			}
		}
	}
	c.EvictID(a)
	for f := range uint64(3) {
		for off := range uint64(20) {
			mustMiss(t, c, a, f, off*4096)
			mustGet(t, c, b, f, off*4096)
		}
	}
	if m := c.Metrics(); m.Count != 60 {
		t.Fatalf("metrics %+v, want the 60 blocks of the other namespace", m)
	}
	checkInvariants(t, c)
}

func TestReserve(t *testing.T) {
	const charge = 1000 + EntryOverhead
	c := New(10 * charge)
	id := c.NewID()
	for off := range uint64(10) {
		c.Set(id, 1, off, make([]byte, 1000)).Release()
	}
	unreserve := c.Reserve(3 * charge)
	m := c.Metrics()
	if m.Reserved != 3*charge || m.Count != 7 || m.Size != 10*charge {
		t.Fatalf("after Reserve: %+v", m)
	}
	for off := range uint64(3) {
		mustMiss(t, c, id, 1, off) // the oldest went
	}
	// Reservations beyond the capacity leave no room at all.
	unreserveAll := c.Reserve(100 * charge)
	if m := c.Metrics(); m.Count != 0 || m.BlockBytes != 0 {
		t.Fatalf("over-reserved: %+v", m)
	}
	c.Set(id, 1, 0, make([]byte, 1)).Release()
	mustMiss(t, c, id, 1, 0)
	unreserveAll()
	unreserveAll() // second call does nothing
	unreserve()
	if m := c.Metrics(); m.Reserved != 0 || m.Size != 0 {
		t.Fatalf("after unreserve: %+v", m)
	}
	c.Set(id, 1, 0, make([]byte, 1)).Release()
	mustGet(t, c, id, 1, 0)
	checkInvariants(t, c)
}

// TestValueOutlivesEviction checks that a value handed out is unchanged
// after the cache evicted it and reused its budget.
func TestValueOutlivesEviction(t *testing.T) {
	c := New(2 * (100 + EntryOverhead))
	id := c.NewID()
	h := c.Set(id, 1, 0, value(id, 1, 0, 100)) // never hit: evicted first
	for off := uint64(1); off < 100; off++ {
		c.Set(id, 1, off, value(id, 1, off, 100)).Release()
	}
	mustMiss(t, c, id, 1, 0)
	if !bytes.Equal(h.Value(), value(id, 1, 0, 100)) {
		t.Fatal("evicted value changed")
	}
	h.Release()
}

// TestConcurrent runs Get, Set, EvictFile and Reserve from many
// goroutines (meant for -race) and checks that every hit returns the value
// stored under its key and that the invariants hold afterwards.
func TestConcurrent(t *testing.T) {
	seed := testSeed(t)
	for _, capacity := range []int64{50_000, 16 << 20} {
		c := New(capacity)
		ids := []uint64{c.NewID(), c.NewID()}
		const workers = 8
		ops := 20000
		if testing.Short() {
			ops = 2000
		}
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(seed, uint64(w)))
				for range ops {
					id, f, off := ids[rng.IntN(2)], rng.Uint64N(8), rng.Uint64N(64)
					n := 1 + int((id*31+f*7+off)%200)
					switch r := rng.IntN(100); {
					case r < 60:
						if h, ok := c.Get(id, f, off); ok {
							if !bytes.Equal(h.Value(), value(id, f, off, n)) {
								errs <- fmt.Errorf("Get(%d, %d, %d) returned another key's value", id, f, off)
								return
							}
							h.Release()
						}
					case r < 97:
						c.Set(id, f, off, value(id, f, off, n)).Release()
					case r < 99:
						c.EvictFile(id, f)
					default:
						c.Reserve(int64(rng.IntN(2000)))()
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		checkInvariants(t, c)
		m := c.Metrics()
		if m.Size > capacity || m.Reserved != 0 || m.Hits == 0 || m.Misses == 0 {
			t.Fatalf("capacity %d: metrics %+v", capacity, m)
		}
		if m.Hits+m.Misses < int64(workers*ops/2) {
			t.Fatalf("capacity %d: only %d lookups counted", capacity, m.Hits+m.Misses)
		}
	}
}

func BenchmarkGetHit(b *testing.B) {
	c := New(64 << 20)
	id := c.NewID()
	for off := range uint64(1024) {
		c.Set(id, 1, off*4096, make([]byte, 4096)).Release()
	}
	b.RunParallel(func(pb *testing.PB) {
		off := uint64(0)
		for pb.Next() {
			h, ok := c.Get(id, 1, (off%1024)*4096)
			if !ok {
				b.Fatal("miss")
			}
			h.Release()
			off++
		}
	})
}

// BenchmarkSetEvict inserts 4 KiB blocks into a full cache: each Set
// evicts one (the cost of a block-cache miss, less the read).
func BenchmarkSetEvict(b *testing.B) {
	c := New(16 << 20)
	id := c.NewID()
	var off uint64
	for c.Metrics().Evictions == 0 {
		c.Set(id, 1, off*4096, Alloc(4096)).Release()
		off++
	}
	b.ResetTimer()
	for range b.N {
		c.Set(id, 1, off*4096, Alloc(4096)).Release()
		off++
	}
}

// Keys with sequential file numbers and block-aligned offsets spread
// evenly over the shards.
func TestShardSpread(t *testing.T) {
	c := New(1 << 30)
	counts := make([]int, len(c.shards))
	const files, blocks = 20, 800
	for f := range uint64(files) {
		for b := range uint64(blocks) {
			counts[key{id: 1, fileNum: f + 1, off: b * 4133}.hash()&c.mask]++
		}
	}
	avg := files * blocks / len(counts)
	for i, n := range counts {
		if n < avg*9/10 || n > avg*11/10 {
			t.Fatalf("shard %d holds %d keys, average %d: %v", i, n, avg, counts)
		}
	}
}

// TestHotEntryStays checks that an entry hit between every insertion is
// never evicted.
func TestHotEntryStays(t *testing.T) {
	const size = 100
	c := New(64 * (size + EntryOverhead)) // one shard
	id := c.NewID()
	for off := range uint64(64) {
		c.Set(id, 1, off, value(id, 1, off, size)).Release()
	}
	for off := uint64(64); off < 5000; off++ {
		if !bytes.Equal(mustGet(t, c, id, 1, 0), value(id, 1, 0, size)) {
			t.Fatal("hot value changed")
		}
		c.Set(id, 1, off, value(id, 1, off, size)).Release()
	}
	mustMiss(t, c, id, 1, 63) // cold entries do go
	checkInvariants(t, c)
}

// TestGhostSet checks the ghost set against a model: it remembers the
// latest limit distinct hashes added and not removed since, in add order.
func TestGhostSet(t *testing.T) {
	seed := testSeed(t)
	for _, universe := range []uint64{40, 60, 200, 2000} {
		testGhostSet(t, rand.New(rand.NewPCG(seed, universe)), universe)
	}
}

func testGhostSet(t *testing.T, rng *rand.Rand, universe uint64) {
	var g ghostSet
	var order []uint64 // model: distinct live hashes, oldest first
	limit := 50
	for i := range 20000 {
		if rng.IntN(20) == 0 {
			// The limit follows the evicted entries' sizes: it jumps.
			limit = pick(rng, 1, 8, 50, 500)
		}
		h := rng.Uint64N(universe)
		if rng.IntN(4) == 0 {
			got := g.remove(h)
			want := slices.Contains(order, h)
			if got != want {
				t.Fatalf("op %d: remove(%d) = %v, want %v", i, h, got, want)
			}
			order = slices.DeleteFunc(order, func(x uint64) bool { return x == h })
			continue
		}
		g.add(h, limit)
		order = slices.DeleteFunc(order, func(x uint64) bool { return x == h })
		order = append(order, h)
		if len(order) > limit {
			order = order[len(order)-limit:]
		}
		if len(g.set) != len(order) || g.n > len(g.ring) {
			t.Fatalf("op %d: %d hashes (ring %d), model %d", i, len(g.set), g.n, len(order))
		}
		for _, x := range order {
			if _, ok := g.set[x]; !ok {
				t.Fatalf("op %d: %d forgotten", i, x)
			}
		}
		live := 0
		for j := range g.n {
			if it := g.ring[(g.head+j)%len(g.ring)]; g.set[it.hash] == it.seq {
				live++
			}
		}
		if live != len(g.set) {
			t.Fatalf("op %d: %d hashes, %d of them in the ring", i, len(g.set), live)
		}
	}
}

func pick[T any](rng *rand.Rand, xs ...T) T { return xs[rng.IntN(len(xs))] }

// TestGhostSetLimitDrops fills the ring with live hashes under a large
// limit, then adds one under a small limit: the new hash must be kept
// and the set must shrink to the new limit, oldest first.
func TestGhostSetLimitDrops(t *testing.T) {
	var g ghostSet
	for h := range uint64(32) {
		g.add(h, 1000)
	}
	g.add(999, 8)
	if _, ok := g.set[999]; !ok {
		t.Fatal("hash added under the smaller limit forgotten")
	}
	if len(g.set) != 8 || g.n > len(g.ring) {
		t.Fatalf("%d hashes, ring %d of %d; want 8", len(g.set), g.n, len(g.ring))
	}
	for h := uint64(25); h < 32; h++ {
		if _, ok := g.set[h]; !ok {
			t.Fatalf("hash %d (among the newest) forgotten", h)
		}
	}
}

// TestLargeValueCached sets a value larger than the small queue's share
// into a full cache: it is cached (in the main queue), and the cold
// entries of the small queue are not all evicted for nothing.
func TestLargeValueCached(t *testing.T) {
	const size = 100
	c := New(100 * (size + EntryOverhead)) // one shard, small share 1,960 bytes
	id := c.NewID()
	for off := range uint64(100) {
		c.Set(id, 1, off, value(id, 1, off, size)).Release()
		mustGet(t, c, id, 1, off)
	}
	for off := uint64(100); off < 110; off++ {
		c.Set(id, 1, off, value(id, 1, off, size)).Release()
	}
	c.Set(id, 1, 200, value(id, 1, 200, 2500)).Release()
	if !cached(c, id, 1, 200) {
		t.Fatal("a value larger than the small queue's share was not cached")
	}
	if got := mustGet(t, c, id, 1, 200); !bytes.Equal(got, value(id, 1, 200, 2500)) {
		t.Fatal("large value changed")
	}
	checkInvariants(t, c)
}
