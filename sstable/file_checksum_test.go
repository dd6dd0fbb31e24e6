package sstable

import (
	"errors"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/crc"
)

// TestWholeFileCRCIsZero shows why the whole-file checksum is not
// CRC-64/Jones: every block and the footer end with their own CRC, so
// the CRC-64/Jones of a whole table is zero, for any content.
func TestWholeFileCRCIsZero(t *testing.T) {
	for _, n := range []int{0, 1, 3000} {
		f, m := buildTableWithRangeDels(t, WriterOptions{BlockSize: 512, Compression: SnappyCompression},
			numbered(n), []RangeDel{rangeDel("a", "b", 7)})
		if got := crc.Checksum(f.data); got != 0 {
			t.Fatalf("%d entries: CRC-64/Jones of the table is %#x, want 0", n, got)
		}
		if m.Checksum == 0 {
			t.Fatalf("%d entries: whole-file checksum is 0", n)
		}
	}
}

// TestFileChecksum: the Reader recomputes the writer's checksum from the
// file, a flipped byte anywhere changes it, and two tables of the same
// size and shape but different values get different checksums.
func TestFileChecksum(t *testing.T) {
	f, m := buildTable(t, WriterOptions{BlockSize: 1024}, numbered(2000))
	r := openTable(t, f, nil)
	sum, err := r.FileChecksum()
	if err != nil || sum != m.Checksum {
		t.Fatalf("FileChecksum = %#x, %v; writer said %#x", sum, err, m.Checksum)
	}
	for _, off := range []int{0, len(f.data) / 2, len(f.data) - 1} {
		f.data[off] ^= 0x10
		sum, err := r.FileChecksum()
		f.data[off] ^= 0x10
		if err != nil || sum == m.Checksum {
			t.Fatalf("flip at %d: FileChecksum = %#x, %v; unchanged from %#x", off, sum, err, m.Checksum)
		}
	}

	other := numbered(2000)
	for i := range other {
		other[i].value[len(other[i].value)-1] ^= 1 // same lengths, other bytes
	}
	g, m2 := buildTable(t, WriterOptions{BlockSize: 1024}, other)
	if len(g.data) != len(f.data) || m2.Checksum == m.Checksum {
		t.Fatalf("sizes %d, %d; checksums %#x, %#x: want equal sizes, different checksums",
			len(f.data), len(g.data), m.Checksum, m2.Checksum)
	}

	f.data = f.data[:len(f.data)-10] // shorter than the size it was opened with
	if _, err := r.FileChecksum(); !errors.Is(err, base.ErrCorruption) {
		t.Fatalf("truncated file: %v, want ErrCorruption", err)
	}
}
