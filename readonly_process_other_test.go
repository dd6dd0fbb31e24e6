//go:build !linux

package tempest

const readOnlyChildEnv = "TEMPEST_READONLY_CHILD_DIR"

func readOnlyChildMain() {}
