package compact

import (
	"flag"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var (
	seedFlag    = flag.Uint64("seed", 0, "seed for random tests (0: from TEMPEST_SEED or the clock)")
	rewriteFlag = flag.Bool("rewrite", false, "rewrite the expected output of testdata/*.txt")
)

// testSeed returns the seed for a random test and logs it, so a failure
// can be replayed with -seed or TEMPEST_SEED.
func testSeed(t testing.TB) uint64 {
	t.Helper()
	seed := *seedFlag
	if seed == 0 {
		if s, err := strconv.ParseUint(os.Getenv("TEMPEST_SEED"), 10, 64); err == nil {
			seed = s
		}
	}
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed=%d", seed)
	return seed
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }
