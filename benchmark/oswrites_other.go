//go:build !linux

package benchmark

// osBytesWritten reports false: only Linux accounts a process's storage
// writes.
func osBytesWritten() (int64, bool) { return 0, false }
