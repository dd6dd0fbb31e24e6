//go:build !unix

package benchmark

// PeakRSS returns 0: this system's peak resident set size is not measured.
func PeakRSS() int64 { return 0 }
