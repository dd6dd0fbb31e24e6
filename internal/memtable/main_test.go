package memtable

import (
	"flag"
	"math/rand/v2"
	"testing"
	"time"

	"go.uber.org/goleak"
)

var seedFlag = flag.Uint64("seed", 0, "seed for the randomized tests (0 picks one from the clock)")

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testRand returns a PRNG seeded from -seed or the clock, logging the seed
// so that a failure can be replayed with -seed.
func testRand(t testing.TB) (*rand.Rand, uint64) {
	t.Helper()
	seed := *seedFlag
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed=%d (replay with -seed=%d)", seed, seed)
	return rand.New(rand.NewPCG(seed, seed>>1|1)), seed
}
