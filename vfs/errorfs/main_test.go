package errorfs_test

import (
	"github.com/tempestdb/tempest/internal/testutil"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func testSeed(t testing.TB) uint64 { return testutil.Seed(t) }
