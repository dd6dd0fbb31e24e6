//go:build !unix

package tool

import "os"

// childPeakRSS returns 0: this system's peak resident set size of a child
// is not measured.
func childPeakRSS(ps *os.ProcessState) int64 { return 0 }
