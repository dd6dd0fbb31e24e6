package errorfs_test

import (
	"flag"
	"os"
	"strconv"
	"testing"
	"time"

	"go.uber.org/goleak"
)

var seedFlag = flag.Uint64("seed", 0, "seed for the random tests (0: from TEMPEST_SEED or the clock)")

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

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
