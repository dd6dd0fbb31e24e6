package wal

import (
	"fmt"
	"testing"

	"github.com/tempestdb/tempest/vfs"
)

// BenchmarkWriteRecords measures framing and writing commit groups of
// 100-byte payloads without fsync, on the OS file system: "write" is the
// write path (one write(2) per group, the mapping hidden by a wrapper),
// "mmap" the mapped path where the platform has it (a copy into the page
// cache, plus an occasional fallocate).
func BenchmarkWriteRecords(b *testing.B) {
	for _, m := range []string{"write", "mmap"} {
		for _, groupSize := range []int{1, 16} {
			b.Run(fmt.Sprintf("mode=%s/group=%d", m, groupSize), func(b *testing.B) {
				var fs vfs.FS = vfs.Default
				if m == "write" {
					fs = &faultFS{FS: vfs.Default}
				}
				w, err := Create(fs, b.TempDir(), 1, Options{})
				if err != nil {
					b.Fatal(err)
				}
				defer w.Abandon()
				group := make([][]byte, groupSize)
				for i := range group {
					group[i] = make([]byte, 100)
				}
				b.SetBytes(int64(groupSize * 100))
				b.ReportAllocs()
				for b.Loop() {
					if err := w.WriteRecords(group...); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
