package compact

import (
	"flag"
	"github.com/tempestdb/tempest/internal/testutil"
	"math/rand/v2"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var (
	rewriteFlag = flag.Bool("rewrite", false, "rewrite the expected output of testdata/*.txt")
)

func testSeed(t testing.TB) uint64 { return testutil.Seed(t) }

func newRand(seed uint64) *rand.Rand { return testutil.NewRand(seed) }
