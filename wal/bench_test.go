package wal

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
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

// BenchmarkWriteRecordsLarge measures one-batch groups of large payloads
// (a batch of 64 KiB values) without fsync, on the OS file system, in the
// two modes of BenchmarkWriteRecords. The log is replaced every 64 MiB, as
// a memtable of that size rotates it (the replacement is not timed).
func BenchmarkWriteRecordsLarge(b *testing.B) {
	for _, m := range []string{"write", "mmap"} {
		for _, size := range []int{64 << 10, 4 << 20} {
			b.Run(fmt.Sprintf("mode=%s/payload=%d", m, size), func(b *testing.B) {
				var fs vfs.FS = vfs.Default
				if m == "write" {
					fs = &faultFS{FS: vfs.Default}
				}
				dir := b.TempDir()
				num := base.FileNum(1)
				w, err := Create(fs, dir, num, Options{})
				if err != nil {
					b.Fatal(err)
				}
				defer func() { w.Abandon() }()
				p := bytes.Repeat([]byte{0x5a}, size)
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					if w.Size() > 64<<20 {
						b.StopTimer()
						w.Abandon()
						_ = fs.Remove(fs.PathJoin(dir, FileName(num)))
						num++
						if w, err = Create(fs, dir, num, Options{}); err != nil {
							b.Fatal(err)
						}
						b.StartTimer()
					}
					if err := w.WriteRecords(p); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
