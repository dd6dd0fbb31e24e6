//go:build unix

package tool

import (
	"os"
	"syscall"

	"github.com/tempestdb/tempest/benchmark"
)

// childPeakRSS returns the peak resident set size of an exited child in
// bytes, or 0 if unknown.
func childPeakRSS(ps *os.ProcessState) int64 {
	if ps == nil {
		return 0
	}
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok || ru == nil {
		return 0
	}
	return benchmark.MaxrssBytes(int64(ru.Maxrss))
}
