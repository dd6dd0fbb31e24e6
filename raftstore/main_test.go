package raftstore

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	if os.Getenv(crashChildEnv) != "" {
		crashChildMain() // exits
	}
	os.Exit(m.Run())
}
