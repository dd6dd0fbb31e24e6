//go:build !unix

package raftstore

const crashChildEnv = "TEMPEST_RAFTSTORE_CRASH_CHILD_DIR"

func crashChildMain() {}
