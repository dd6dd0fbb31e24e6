package memtable

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
)

// valueFor derives a value from an internal key, so that a reader can tell
// a well-formed entry from torn or misplaced bytes.
func valueFor(k base.InternalKey) []byte {
	v := binary.LittleEndian.AppendUint64(nil, uint64(k.Trailer))
	for i := 0; i < int(k.Trailer.SeqNum())%23; i++ {
		v = append(v, k.UserKey...)
		v = append(v, byte(i))
	}
	return v
}

func checkEntry(it *Iter) error {
	k := it.Key()
	if want := valueFor(k); !bytes.Equal(it.Value(), want) {
		return fmt.Errorf("entry %s has value %x, want %x", k, it.Value(), want)
	}
	return nil
}

// concurrentReader exercises one iterator against a memtable that a writer
// is filling. Internal keys are unique, so every step must strictly
// progress in internal-key order.
func concurrentReader(m *Memtable, rng *rand.Rand, userKey func() []byte, done *atomic.Bool) error {
	cmp := m.cmp
	it := m.NewIter()
	defer it.Close()
	for pass := 0; ; pass++ {
		finished := done.Load()
		switch pass % 4 {
		case 0: // full forward scan: sees at least what Count promised
			before := m.Count()
			var n int64
			var prev base.InternalKey
			for ok := it.First(); ok; ok = it.Next() {
				if err := checkEntry(it); err != nil {
					return err
				}
				if n > 0 && cmp.CompareInternal(prev, it.Key()) >= 0 {
					return fmt.Errorf("forward scan: %s then %s", prev, it.Key())
				}
				prev = it.Key()
				n++
			}
			if n < before {
				return fmt.Errorf("forward scan saw %d entries, Count was %d before it", n, before)
			}
		case 1: // full backward scan
			before := m.Count()
			var n int64
			var prev base.InternalKey
			for ok := it.Last(); ok; ok = it.Prev() {
				if err := checkEntry(it); err != nil {
					return err
				}
				if n > 0 && cmp.CompareInternal(it.Key(), prev) >= 0 {
					return fmt.Errorf("backward scan: %s then %s", prev, it.Key())
				}
				prev = it.Key()
				n++
			}
			if n < before {
				return fmt.Errorf("backward scan saw %d entries, Count was %d before it", n, before)
			}
		default: // seeks and short walks with direction switches
			for s := 0; s < 50; s++ {
				target := base.InternalKey{UserKey: userKey(), Trailer: base.Trailer(rng.Uint64())}
				var ok bool
				if rng.IntN(2) == 0 {
					if ok = it.SeekGE(target); ok && cmp.CompareInternal(it.Key(), target) < 0 {
						return fmt.Errorf("SeekGE(%s) landed on %s", target, it.Key())
					}
				} else {
					if ok = it.SeekLT(target); ok && cmp.CompareInternal(it.Key(), target) >= 0 {
						return fmt.Errorf("SeekLT(%s) landed on %s", target, it.Key())
					}
				}
				for step := 0; ok && step < 16; step++ {
					if err := checkEntry(it); err != nil {
						return err
					}
					cur := it.Key()
					if rng.IntN(2) == 0 {
						if ok = it.Next(); ok && cmp.CompareInternal(cur, it.Key()) >= 0 {
							return fmt.Errorf("Next: %s then %s", cur, it.Key())
						}
					} else {
						if ok = it.Prev(); ok && cmp.CompareInternal(it.Key(), cur) >= 0 {
							return fmt.Errorf("Prev: %s then %s", cur, it.Key())
						}
					}
				}
			}
		}
		if finished && pass >= 4 {
			return nil
		}
	}
}

func TestConcurrentReaders(t *testing.T) {
	rng, seed := testRand(t)
	const n = 20000
	const readers = 4
	cmp := base.FixedSuffixComparer(1)
	m := New(cmp, 16<<20, seed)

	// Keys share prefixes and user keys repeat with distinct seqnums, so
	// both the comparer and the trailer order are exercised.
	userKeyFrom := func(r *rand.Rand) []byte {
		return fmt.Appendf(nil, "k%03d%c", r.IntN(500), 'a'+r.IntN(4))
	}

	var done atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, readers)
	for r := 0; r < readers; r++ {
		rr := rand.New(rand.NewPCG(seed, uint64(r)))
		wg.Go(func() {
			if err := concurrentReader(m, rr, func() []byte { return userKeyFrom(rr) }, &done); err != nil {
				errs <- err
			}
		})
	}
	for i := 0; i < n; i++ {
		k := base.MakeInternalKey(userKeyFrom(rng), base.SeqNum(16+i), base.Kind(i&1))
		if err := m.Add(k, valueFor(k)); err != nil {
			t.Errorf("Add #%d: %v", i, err)
			break
		}
	}
	done.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := m.checkInvariants(); err != nil {
		t.Fatal(err)
	}
}
