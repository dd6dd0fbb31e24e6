package memtable

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
)

// TestConcurrentWriters inserts from several goroutines at once while
// readers iterate, alternating with single-writer rounds (whose cached
// splice the concurrent rounds make stale), and then compares the whole
// memtable with a model and checks every structural invariant, back links
// included.
func TestConcurrentWriters(t *testing.T) {
	rng, seed := testRand(t)
	const writers, perWriter, rounds, readers = 4, 2000, 3, 2
	cmp := base.FixedSuffixComparer(1)
	m := New(cmp, 32<<20, seed)
	md := &model{cmp: cmp}
	userKey := func(r *rand.Rand) []byte { return fmt.Appendf(nil, "k%03d%c", r.IntN(300), 'a'+r.IntN(3)) }
	seq := base.SeqNum(16)
	var all []base.InternalKey

	for round := 0; round < rounds; round++ {
		var done atomic.Bool
		var rwg sync.WaitGroup
		errs := make(chan error, readers+writers)
		for r := 0; r < readers; r++ {
			rr := rand.New(rand.NewPCG(seed, uint64(100*round+r)))
			rwg.Go(func() {
				if err := concurrentReader(m, rr, func() []byte { return userKey(rr) }, &done); err != nil {
					errs <- err
				}
			})
		}
		added := make([][]base.InternalKey, writers)
		var wwg sync.WaitGroup
		for w := 0; w < writers; w++ {
			wr := rand.New(rand.NewPCG(seed, uint64(1000+100*round+w)))
			wwg.Go(func() {
				for i := 0; i < perWriter; i++ {
					// Each writer owns the seqnums congruent to w, so
					// internal keys are unique (as the readers require).
					s := seq + base.SeqNum(i*writers+w)
					k := base.MakeInternalKey(userKey(wr), s, base.Kind(wr.IntN(2)))
					if err := m.AddConcurrent(k, valueFor(k)); err != nil {
						errs <- fmt.Errorf("writer %d: AddConcurrent #%d: %v", w, i, err)
						return
					}
					added[w] = append(added[w], k)
				}
			})
		}
		wwg.Wait()
		seq += base.SeqNum(perWriter * writers)
		// A single-writer run, ascending, so Add's cached splice is used.
		for i := 0; i < 500; i++ {
			k := base.MakeInternalKey(fmt.Appendf(nil, "k%03dz", i%300), seq, base.KindSet)
			seq++
			if err := m.Add(k, valueFor(k)); err != nil {
				t.Fatalf("round %d: Add #%d: %v", round, i, err)
			}
			all = append(all, k)
		}
		done.Store(true)
		rwg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		for _, ks := range added {
			all = append(all, ks...)
		}
		// Internal keys are unique, so sorting gives the model's order.
		slices.SortFunc(all, cmp.CompareInternal)
		md.entries = md.entries[:0]
		for _, k := range all {
			md.entries = append(md.entries, modelEntry{key: k, value: valueFor(k)})
		}
		checkModel(t, m, md, keyGen{rng: rng, maxLen: 5}, 300)
	}
}

// TestConcurrentWritersArenaFull fills a small arena from several
// goroutines: every insertion either lands or reports ErrArenaFull, and
// the list holds exactly the ones that landed.
func TestConcurrentWritersArenaFull(t *testing.T) {
	_, seed := testRand(t)
	m := New(base.DefaultComparer, 64<<10, seed)
	var landed atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Go(func() {
			for i := 0; ; i++ {
				k := base.MakeInternalKey(fmt.Appendf(nil, "w%d-%06d", w, i), base.SeqNum(i*4+w), base.KindSet)
				err := m.AddConcurrent(k, valueFor(k))
				if errors.Is(err, ErrArenaFull) {
					return
				}
				if err != nil {
					t.Errorf("AddConcurrent: %v", err)
					return
				}
				landed.Add(1)
			}
		})
	}
	wg.Wait()
	if landed.Load() == 0 || m.Count() != landed.Load() {
		t.Fatalf("%d insertions landed, Count %d", landed.Load(), m.Count())
	}
	if m.Size() > m.Capacity() {
		t.Fatalf("size %d above capacity %d", m.Size(), m.Capacity())
	}
	if err := m.checkInvariants(); err != nil {
		t.Fatal(err)
	}
}

// TestConcurrentBackLinkRace replays, step by step, the interleaving that
// the back-link help in linkLevel exists for: insertion A links X after P
// at level 0 but has not yet switched N's back link from P to X when
// insertion B links Y between X and N. Without the help B's switch (from
// X) fails, A's later switch (from P) succeeds, and N's back link skips Y
// for good, so a backward scan would miss it.
func TestConcurrentBackLinkRace(t *testing.T) {
	m := New(base.DefaultComparer, 1<<16, 1)
	mk := func(k string, s base.SeqNum) base.InternalKey {
		return base.MakeInternalKey([]byte(k), s, base.KindSet)
	}
	for _, k := range []base.InternalKey{mk("a", 1), mk("c", 2)} {
		if err := m.Add(k, valueFor(k)); err != nil {
			t.Fatal(err)
		}
	}
	// A: X linked at level 0, its back-link switch pending.
	x := mk("b", 3)
	off, ok := m.arena.allocShared(nodeSize(1)+1, uint64(maxNodeSize))
	if !ok {
		t.Fatal("arena full")
	}
	nd := m.node(off)
	nd.keyOffset, nd.keyLen, nd.height, nd.trailer = off+uint32(nodeSize(1)), 1, 1, x.Trailer
	copy(m.arena.bytes(nd.keyOffset, 1), x.UserKey)
	var sp splice
	m.findSplice(x, m.height.Load(), &sp)
	nd.setNext(0, sp.next[0])
	nd.setPrev(sp.prev[0])
	if !m.node(sp.prev[0]).casNext(0, sp.next[0], off) {
		t.Fatal("link X")
	}
	m.count.Add(1)
	// B: Y between X and N.
	y := mk("bb", 4)
	if err := m.AddConcurrent(y, valueFor(y)); err != nil {
		t.Fatal(err)
	}
	// A finishes: its switch must not undo B's.
	m.node(sp.next[0]).casPrev(sp.prev[0], off)
	if err := m.checkInvariants(); err != nil {
		t.Fatal(err)
	}
}
