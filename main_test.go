package tempest

import (
	"fmt"
	"os"
	"strconv"
	"testing"

	"go.uber.org/goleak"

	"github.com/tempestdb/tempest/internal/testutil"
)

func TestMain(m *testing.M) {
	setTestFormatVersion()
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

// setTestFormatVersion makes TEMPEST_FORMAT_VERSION, if set, the version
// of the databases the tests create without choosing one, so the suite
// runs against an older format version (the default is FormatNewest).
func setTestFormatVersion() {
	if v := os.Getenv("TEMPEST_FORMAT_VERSION"); v != "" {
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil || n < uint64(FormatVersion1) || n > uint64(FormatNewest) {
			fmt.Fprintf(os.Stderr, "TEMPEST_FORMAT_VERSION=%q: want a version from %d to %d\n", v, FormatVersion1, FormatNewest)
			os.Exit(2)
		}
		newDBDefaultFormat = uint32(n)
	}
}

// testSeed returns the seed of a random test (-seed, TEMPEST_SEED or the
// clock) and logs it.
func testSeed(t testing.TB) uint64 {
	t.Helper()
	return testutil.Seed(t)
}
