package benchmark

import (
	"context"
	"math/bits"
	"math/rand/v2"
	"sync/atomic"
	"time"
)

// permutation maps [0, n) onto itself one to one: i -> (a*i + b) mod n with
// a coprime to n. It scatters a sequence of loads over the key space
// without storing n numbers.
type permutation struct{ n, a, b uint64 }

func newPermutation(n uint64, rng *rand.Rand) permutation {
	if n <= 1 {
		return permutation{n: n, a: 1}
	}
	a := rng.Uint64N(n-1) + 1
	for gcd(a, n) != 1 {
		a = a%(n-1) + 1
	}
	return permutation{n: n, a: a, b: rng.Uint64N(n)}
}

func (p permutation) at(i uint64) uint64 {
	hi, lo := bits.Mul64(p.a, i)
	_, rem := bits.Div64(hi, lo, p.n) // hi < n as a, i < n
	return (rem + p.b) % p.n
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// loadBatchSize is the number of entries per load batch: at most 1000, and
// small enough (a sixteenth of a memtable) for every engine's batch limit.
func (r *run) loadBatchSize() int {
	entry := int64(r.opts.KeySize + r.opts.ValueSize + 32)
	return int(min(1000, max(1, r.opts.MemTableSize/16/entry)))
}

// load writes main-space keys [0, Num) once each, in a pseudo-random
// order, in unsynced batches.
func (r *run) load(ctx context.Context) error {
	rng := rand.New(rand.NewPCG(r.opts.Seed, 0x6c6f6164))
	perm := newPermutation(r.num, rng)
	per := r.loadBatchSize()
	k := r.opts.KeySize
	arena := make([]byte, per*k)
	var b Batch
	var done atomic.Int64
	stop := r.startProgress("load", time.Now(), done.Load)
	defer stop()
	for i := uint64(0); i < r.num; i++ {
		n := perm.at(i)
		off := b.Len() * k
		key := r.keys.appendKey(arena[off:off:off+k], tagMain, 2*n)
		v := r.values.value(rng)
		b.Set(key, v)
		r.loadBytes += int64(len(key) + len(v))
		r.live.add(n)
		if b.Len() == per || i == r.num-1 {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := r.eng.Apply(&b, false); err != nil {
				return err
			}
			b.Reset()
			done.Store(int64(i + 1))
		}
	}
	r.inserted.Store(r.num)
	return nil
}
