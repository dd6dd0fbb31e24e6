package memtable

import (
	"math/rand/v2"
	"testing"

	"go.uber.org/goleak"

	"github.com/tempestdb/tempest/internal/testutil"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testRand returns a PRNG seeded by testutil.Seed (-seed, TEMPEST_SEED or
// the clock; logged for replay), and its seed.
func testRand(t testing.TB) (*rand.Rand, uint64) {
	t.Helper()
	seed := testutil.Seed(t)
	return rand.New(rand.NewPCG(seed, seed>>1|1)), seed
}
