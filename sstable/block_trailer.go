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
func blockChecksum(block []byte, c Compression) uint64 {
	return crc.Update(crc.Checksum(block), []byte{byte(c)})
}

// appendBlockTrailer appends the trailer of block, stored with compression
// c, to dst. dst may be block itself (the trailer then follows the block
// bytes).
func appendBlockTrailer(dst, block []byte, c Compression) []byte {
	sum := blockChecksum(block, c)
	dst = append(dst, byte(c))
	return binary.LittleEndian.AppendUint64(dst, sum)
}

// checkBlockTrailer verifies buf, a block followed by its trailer, read
// from offset off of file, and returns the stored block bytes and their
// compression. The checksum is verified before the compression byte is
// interpreted.
func checkBlockTrailer(file string, off uint64, buf []byte) ([]byte, Compression, error) {
	if len(buf) < blockTrailerLen {
		return nil, 0, base.Corruptionf(file, int64(off), "block of %d bytes is shorter than its trailer", len(buf))
	}
	n := len(buf) - blockTrailerLen
	block, c := buf[:n], Compression(buf[n])
	want := binary.LittleEndian.Uint64(buf[n+1:])
	if got := blockChecksum(block, c); got != want {
		return nil, 0, base.Corruptionf(file, int64(off),
			"block checksum mismatch: stored %#016x, computed %#016x (size %d)", want, got, n)
	}
	if !c.valid() {
		return nil, 0, base.Corruptionf(file, int64(off), "unsupported block compression %d", uint8(c))
	}
	return block, c, nil
}
