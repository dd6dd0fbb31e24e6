package wal

import (
	"fmt"
	"testing"

	"github.com/tempestdb/tempest/vfs"
)

// BenchmarkWriteRecords measures framing and writing commit groups of
// 100-byte payloads without fsync, on the OS file system.
func BenchmarkWriteRecords(b *testing.B) {
	for _, groupSize := range []int{1, 16} {
		b.Run(fmt.Sprintf("group=%d", groupSize), func(b *testing.B) {
			w, err := Create(vfs.Default, b.TempDir(), 1)
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
