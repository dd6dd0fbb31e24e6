// Package testutil holds what the tests of many packages share: the seed
// of randomized tests. A random test logs its seed and replays from it,
// given with -seed (the flag of every package that imports this one) or
// the TEMPEST_SEED environment variable.
package testutil

import (
	"flag"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"
)

var seedFlag = flag.Uint64("seed", 0, "seed for random tests (0: from TEMPEST_SEED or the clock)")

// Seed returns the seed for a random test and logs it.
func Seed(t testing.TB) uint64 {
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
	t.Logf("seed=%d (replay with -seed=%d or TEMPEST_SEED=%d)", seed, seed, seed)
	return seed
}

// NewRand returns a generator seeded by seed.
func NewRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }
