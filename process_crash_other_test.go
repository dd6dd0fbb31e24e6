//go:build !unix

package tempest

const crashChildEnv = "TEMPEST_CRASH_CHILD_DIR"

func crashChildMain() {}

const mergeCrashChildEnv = "TEMPEST_MERGE_CRASH_CHILD_DIR"

func mergeCrashChildMain() {}
