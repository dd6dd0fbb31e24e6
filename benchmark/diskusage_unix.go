//go:build unix

package benchmark

import (
	"io/fs"
	"syscall"
)

// allocatedSize is the file's allocated blocks in bytes.
func allocatedSize(info fs.FileInfo) int64 {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return int64(st.Blocks) * 512
	}
	return info.Size()
}
