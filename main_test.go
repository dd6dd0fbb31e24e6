package tempest

import (
	"flag"
	"math/rand/v2"
	"os"
	"testing"

	"go.uber.org/goleak"
)

var seedFlag = flag.Uint64("seed", 0, "seed for randomized tests (0 picks one and prints it)")

func TestMain(m *testing.M) {
	if os.Getenv(crashChildEnv) != "" {
		crashChildMain()
		return
	}
	goleak.VerifyTestMain(m)
}

// testSeed returns the -seed flag or a fresh seed, and logs it so a failing
// run can be replayed with -seed.
func testSeed(t testing.TB) uint64 {
	s := *seedFlag
	if s == 0 {
		s = rand.Uint64()
	}
	t.Logf("seed=%d (replay with -seed=%d)", s, s)
	return s
}
