//go:build !unix

package tempest

// TestReadsUnderFileLimit needs a descriptor limit (RLIMIT_NOFILE): it
// runs on Unix only.
const fileLimitChildEnv = "TEMPEST_FILE_LIMIT_CHILD_DIR"

func fileLimitChildMain() int { return 1 }
