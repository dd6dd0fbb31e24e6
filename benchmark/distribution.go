package benchmark

import (
	"math"
	"math/rand/v2"
	"sync/atomic"
)

// A chooser picks key numbers. Each worker owns its choosers; they are not
// safe for concurrent use.
type chooser interface {
	next(rng *rand.Rand) uint64
}

// uniform picks from [0, n) with equal probability.
type uniform struct{ n uint64 }

func (u uniform) next(rng *rand.Rand) uint64 { return rng.Uint64N(u.n) }

// zipfianTheta is YCSB's zipfian constant.
const zipfianTheta = 0.99

// zipfian picks from [0, n) with P(i) proportional to 1/(i+1)^theta: item 0
// is the most popular. It is the generator of Gray et al., "Quickly
// generating billion-record synthetic databases" (SIGMOD 1994), as YCSB's
// ZipfianGenerator implements it, including YCSB's incremental update of
// zeta(n) when the item count grows.
type zipfian struct {
	n                  uint64
	alpha, zeta2, zeta float64
	eta                float64
}

func newZipfian(n uint64) zipfian {
	z := zipfian{alpha: 1 / (1 - zipfianTheta), zeta2: zetaSum(0, 2, 0)}
	z.grow(n)
	return z
}

// zetaSum adds 1/(i+1)^theta for i in [from, to) to sum.
func zetaSum(from, to uint64, sum float64) float64 {
	for i := from; i < to; i++ {
		sum += 1 / math.Pow(float64(i+1), zipfianTheta)
	}
	return sum
}

// grow raises the item count to n (a no-op if it is already n or more).
func (z *zipfian) grow(n uint64) {
	if n <= z.n {
		return
	}
	z.zeta = zetaSum(z.n, n, z.zeta)
	z.n = n
	if n > 2 {
		z.eta = (1 - math.Pow(2/float64(n), 1-zipfianTheta)) / (1 - z.zeta2/z.zeta)
	}
}

func (z *zipfian) next(rng *rand.Rand) uint64 {
	u := rng.Float64()
	uz := u * z.zeta
	switch {
	case z.n <= 1 || uz < 1:
		return 0
	case z.n == 2 || uz < 1+math.Pow(0.5, zipfianTheta):
		return 1
	}
	v := uint64(float64(z.n) * math.Pow(z.eta*u-z.eta+1, z.alpha))
	return min(v, z.n-1)
}

// scrambledZipfian is YCSB's "zipfian" request distribution: zipfian
// popularity, with the popular items scattered over the key space by
// hashing (FNV-1a 64 of the item number, modulo n) rather than clustered at
// its start.
type scrambledZipfian struct{ z zipfian }

func (s *scrambledZipfian) next(rng *rand.Rand) uint64 { return fnv64(s.z.next(rng)) % s.z.n }

// fnv64 is FNV-1a over the 8 little-endian bytes of v, as YCSB's
// Utils.fnvhash64.
func fnv64(v uint64) uint64 {
	h := uint64(0xCBF29CE484222325)
	for range 8 {
		h ^= v & 0xff
		h *= 0x100000001B3
		v >>= 8
	}
	return h
}

// latest is YCSB's "latest" distribution (SkewedLatestGenerator): zipfian
// over recency, the most recently inserted item being the most popular.
// count is the number of items inserted so far (items are numbered
// from 0 in insertion order).
type latest struct {
	z     zipfian
	count *atomic.Uint64
}

func (l *latest) next(rng *rand.Rand) uint64 {
	n := l.count.Load()
	if n == 0 {
		return 0
	}
	l.z.grow(n)
	return n - 1 - l.z.next(rng)
}
