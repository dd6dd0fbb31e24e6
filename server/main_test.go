package server

import (
	"fmt"
	"os"
	"testing"
)

// serveChildEnv, when set to a directory, makes the test binary a
// tempest serve process over it (the crash test's child): it prints
// "ready ADDR" and serves until killed.
const serveChildEnv = "TEMPEST_SERVE_CHILD_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(serveChildEnv); dir != "" {
		os.Exit(serveChild(dir))
	}
	os.Exit(m.Run())
}

func serveChild(dir string) int {
	s, err := Open(Config{Dir: dir, Addr: "127.0.0.1:0", AppendFsync: os.Getenv("TEMPEST_SERVE_CHILD_FSYNC")})
	if err != nil {
		fmt.Println("error", err)
		return 2
	}
	fmt.Println("ready", s.Addr())
	if err := s.Serve(); err != nil {
		fmt.Println("error", err)
		return 3
	}
	return 0
}
