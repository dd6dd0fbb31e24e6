package vfs_test

import (
	"github.com/tempestdb/tempest/internal/testutil"
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if path := os.Getenv(lockChildEnv); path != "" {
		lockChild(path) // exits
	}
	goleak.VerifyTestMain(m)
}

func testSeed(t testing.TB) uint64 { return testutil.Seed(t) }
