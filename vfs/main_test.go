package vfs_test

import (
	"flag"
	"os"
	"strconv"
	"testing"
	"time"

	"go.uber.org/goleak"
)

var seedFlag = flag.Uint64("seed", 0, "seed for the random tests (0: from TEMPEST_SEED or the clock)")

func TestMain(m *testing.M) {
	if path := os.Getenv(lockChildEnv); path != "" {
		lockChild(path) // exits
	}
	goleak.VerifyTestMain(m)
}

// testSeed returns the seed for a random test and logs it so a failure can
// be replayed with -seed or TEMPEST_SEED.
func testSeed(t testing.TB) uint64 {
	t.Helper()
	s := *seedFlag
	if s == 0 {
		if v, err := strconv.ParseUint(os.Getenv("TEMPEST_SEED"), 10, 64); err == nil {
			s = v
		}
	}
	if s == 0 {
		s = uint64(time.Now().UnixNano())
	}
	t.Logf("seed=%d", s)
	return s
}
