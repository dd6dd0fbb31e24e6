package tempest

import (
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/tempestdb/tempest/internal/testutil"
)

func TestMain(m *testing.M) {
	if os.Getenv(crashChildEnv) != "" {
		crashChildMain()
		return
	}
	if os.Getenv(mergeCrashChildEnv) != "" {
		mergeCrashChildMain()
		return
	}
	if os.Getenv(fileLimitChildEnv) != "" {
		os.Exit(fileLimitChildMain())
	}
	if os.Getenv(readOnlyChildEnv) != "" {
		readOnlyChildMain() // exits
	}
	goleak.VerifyTestMain(m)
}

// testSeed returns the seed of a random test (-seed, TEMPEST_SEED or the
// clock) and logs it.
func testSeed(t testing.TB) uint64 {
	t.Helper()
	return testutil.Seed(t)
}
