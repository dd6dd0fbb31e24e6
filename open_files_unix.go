//go:build unix

package tempest

import (
	"math"

	"golang.org/x/sys/unix"
)

// processFileLimit returns the soft limit on the process's open file
// descriptors (RLIMIT_NOFILE), or false if it cannot be read or is
// practically unlimited.
func processFileLimit() (int, bool) {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return 0, false
	}
	cur := uint64(lim.Cur) // int64 on some systems
	if cur >= math.MaxInt32 {
		return 0, false // RLIM_INFINITY or close to it
	}
	return int(cur), true
}
