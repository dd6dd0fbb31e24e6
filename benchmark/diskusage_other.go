//go:build !unix

package benchmark

import "io/fs"

// allocatedSize is the file's apparent size: this system reports no
// allocation.
func allocatedSize(info fs.FileInfo) int64 { return info.Size() }
