//go:build !unix

package tempest

const crashChildEnv = "TEMPEST_CRASH_CHILD_DIR"

func crashChildMain() {}
