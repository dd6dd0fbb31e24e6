package sstable

import (
	"encoding/binary"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/crc"
)

// blockTrailerLen is the size of the trailer after every block:
//
//	compression u8 | crc64 u64 (over the block bytes, then the compression byte)
const blockTrailerLen = 9

// Compression types. Only compressionNone is written or accepted.
const (
	compressionNone   byte = 0
	compressionSnappy byte = 1 // reserved
	compressionZstd   byte = 2 // reserved
)

// maxInt is the largest int: 2^31-1 on 32-bit platforms.
const maxInt = int(^uint(0) >> 1)

// blockHandle names a block's bytes within the file, without its trailer.
type blockHandle struct {
	offset uint64
	size   uint32
}

// end returns the offset just past the block's trailer.
func (h blockHandle) end() uint64 { return h.offset + uint64(h.size) + blockTrailerLen }

// blockChecksum is the checksum stored in a block trailer.
func blockChecksum(block []byte, compression byte) uint64 {
	return crc.Update(crc.Checksum(block), []byte{compression})
}

// appendBlockTrailer appends the uncompressed-block trailer of block to dst.
// dst may be block itself (the trailer then follows the block bytes).
func appendBlockTrailer(dst, block []byte) []byte {
	sum := blockChecksum(block, compressionNone)
	dst = append(dst, compressionNone)
	return binary.LittleEndian.AppendUint64(dst, sum)
}

// checkBlockTrailer verifies buf, a block followed by its trailer, read
// from offset off of file, and returns the block bytes.
func checkBlockTrailer(file string, off uint64, buf []byte) ([]byte, error) {
	if len(buf) < blockTrailerLen {
		return nil, base.Corruptionf(file, int64(off), "block of %d bytes is shorter than its trailer", len(buf))
	}
	n := len(buf) - blockTrailerLen
	block, compression := buf[:n], buf[n]
	want := binary.LittleEndian.Uint64(buf[n+1:])
	if got := blockChecksum(block, compression); got != want {
		return nil, base.Corruptionf(file, int64(off),
			"block checksum mismatch: stored %#016x, computed %#016x (size %d)", want, got, n)
	}
	if compression != compressionNone {
		return nil, base.Corruptionf(file, int64(off), "unsupported block compression %d", compression)
	}
	return block, nil
}
