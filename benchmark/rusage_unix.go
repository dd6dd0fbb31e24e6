//go:build unix

package benchmark

import (
	"runtime"
	"syscall"
)

// PeakRSS returns this process's peak resident set size in bytes, or 0 if
// the system does not say.
func PeakRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return MaxrssBytes(int64(ru.Maxrss))
}

// MaxrssBytes converts a Rusage.Maxrss to bytes: Darwin reports bytes,
// the other unixes kilobytes.
func MaxrssBytes(maxrss int64) int64 {
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		return maxrss
	}
	return maxrss * 1024
}
