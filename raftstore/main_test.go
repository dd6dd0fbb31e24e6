package raftstore

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv(crashChildEnv) != "" {
		crashChildMain() // exits
	}
	goleak.VerifyTestMain(m)
}
