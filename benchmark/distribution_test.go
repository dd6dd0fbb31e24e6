package benchmark

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/tempestdb/tempest/internal/testutil"
)

// testRand returns a generator seeded by testutil.Seed (-seed,
// TEMPEST_SEED or the clock; logged for replay).
func testRand(t *testing.T) *rand.Rand {
	s := testutil.Seed(t)
	return rand.New(rand.NewPCG(s, s^0x5eed))
}

// counts draws n samples from c over [0, items) and returns the count of
// each item.
func counts(t *testing.T, rng *rand.Rand, c chooser, items uint64, n int) []int {
	got := make([]int, items)
	for range n {
		v := c.next(rng)
		if v >= items {
			t.Fatalf("drew %d, outside [0, %d)", v, items)
		}
		got[v]++
	}
	return got
}

// zipfShare is the expected probability of rank r (from 0) among n items.
func zipfShare(r, n uint64) float64 {
	return 1 / math.Pow(float64(r+1), zipfianTheta) / zetaSum(0, n, 0)
}

func TestZipfianSkew(t *testing.T) {
	rng := testRand(t)
	const items, draws = 1000, 400_000
	z := newZipfian(items)
	got := counts(t, rng, &z, items, draws)
	// Items 0 and 1 are drawn exactly as 1/(rank+1)^theta, within sampling
	// error; Gray's generator approximates the rest by a continuous curve,
	// so they are checked within 25%.
	for r := range uint64(5) {
		want := zipfShare(r, items) * draws
		tolerance := 8 * math.Sqrt(want)
		if r >= 2 {
			tolerance = want / 4
		}
		if math.Abs(float64(got[r])-want) > tolerance {
			t.Errorf("item %d drawn %d times, want about %.0f", r, got[r], want)
		}
	}
	// Skew: the most popular 10% of the items take more than half the draws,
	// and popularity falls with rank.
	top := 0
	for _, c := range got[:items/10] {
		top += c
	}
	if top < draws/2 {
		t.Errorf("top 10%% of items took %d of %d draws", top, draws)
	}
	if got[0] <= got[10] || got[10] <= got[500] {
		t.Errorf("popularity does not fall with rank: %d, %d, %d", got[0], got[10], got[500])
	}
}

func TestScrambledZipfianSpreadsHotKeys(t *testing.T) {
	rng := testRand(t)
	const items, draws = 1000, 200_000
	s := &scrambledZipfian{z: newZipfian(items)}
	got := counts(t, rng, s, items, draws)
	sorted := slices.Clone(got)
	slices.SortFunc(sorted, func(a, b int) int { return b - a })
	// Same skew as the zipfian (up to hash collisions, which merge items)...
	if want := zipfShare(0, items) * draws; float64(sorted[0]) < 0.8*want {
		t.Errorf("hottest item drawn %d times, want at least %.0f", sorted[0], 0.8*want)
	}
	// ...but the hottest item is not item 0, and the hot items are spread
	// over the key space rather than clustered at its start.
	hottest := slices.Index(got, sorted[0])
	if hottest == 0 {
		t.Errorf("hottest item is item 0: not scrambled")
	}
	firstTenth := 0
	for _, c := range got[:items/10] {
		firstTenth += c
	}
	if firstTenth > draws/3 {
		t.Errorf("the first 10%% of the key space took %d of %d draws: hot keys are clustered", firstTenth, draws)
	}
}

func TestLatestFavorsNewest(t *testing.T) {
	rng := testRand(t)
	var count atomic.Uint64
	count.Store(1000)
	l := &latest{z: newZipfian(1000), count: &count}
	got := counts(t, rng, l, 1000, 100_000)
	if want := zipfShare(0, 1000) * 100_000; math.Abs(float64(got[999])-want) > 8*math.Sqrt(want) {
		t.Errorf("newest item drawn %d times, want about %.0f", got[999], want)
	}
	if got[999] <= got[989] || got[989] <= got[500] {
		t.Errorf("popularity does not fall with age: %d, %d, %d", got[999], got[989], got[500])
	}
	// New inserts become the most popular at once.
	count.Store(1100)
	got = counts(t, rng, l, 1100, 100_000)
	if slices.Index(got, slices.Max(got)) != 1099 {
		t.Errorf("after inserts the most drawn item is %d, want 1099", slices.Index(got, slices.Max(got)))
	}
	if got[999] > got[1099]/5 {
		t.Errorf("old newest item still drawn %d times against %d", got[999], got[1099])
	}
}

func TestZipfianGrowMatchesFresh(t *testing.T) {
	z := newZipfian(10)
	z.grow(5000)
	fresh := newZipfian(5000)
	if math.Abs(z.zeta-fresh.zeta) > 1e-9 || math.Abs(z.eta-fresh.eta) > 1e-12 || z.n != fresh.n {
		t.Fatalf("grown zipfian %+v differs from fresh %+v", z, fresh)
	}
}

func TestZipfianTiny(t *testing.T) {
	rng := testRand(t)
	for n := uint64(1); n <= 3; n++ {
		z := newZipfian(n)
		got := counts(t, rng, &z, n, 10_000)
		if got[0] == 0 || got[n-1] == 0 {
			t.Errorf("n=%d: counts %v", n, got)
		}
	}
}

func TestUniform(t *testing.T) {
	rng := testRand(t)
	got := counts(t, rng, uniform{10}, 10, 100_000)
	for i, c := range got {
		if c < 9_000 || c > 11_000 {
			t.Errorf("item %d drawn %d times of 100000", i, c)
		}
	}
}

func TestYCSBMix(t *testing.T) {
	rng := testRand(t)
	for _, wl := range []*workload{ycsbA, ycsbB, ycsbC, ycsbD, ycsbE, ycsbF} {
		t.Run(wl.name, func(t *testing.T) {
			if len(wl.parts) == 0 {
				t.Fatal("no parts")
			}
		})
	}
	mix := ycsbMix{read: .95, insert: .05}
	n := [5]int{}
	for range 100_000 {
		n[mix.pick(rng.Float64())]++
	}
	if n[ycsbUpdate]+n[ycsbScan]+n[ycsbRMW] != 0 || n[ycsbInsert] < 4_000 || n[ycsbInsert] > 6_000 {
		t.Errorf("95/5 mix drew %v", n)
	}
	if got := mix.pick(1 - 1e-17); got != ycsbInsert {
		t.Errorf("pick near 1 = %d", got)
	}
}
