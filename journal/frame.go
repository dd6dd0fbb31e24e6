package journal

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/tempestdb/tempest/internal/crc"
)

// FrameHeaderSize is the size of the prefix in front of every edit body.
const FrameHeaderSize = 12

// MaxEditSize is the largest encoded edit a frame can hold.
const MaxEditSize = math.MaxUint32

// An edit frame of the legacy framing (see framing.go). It is written
// only for files of the legacy framing (the manifest of a database below
// format version 6) and for the guard that opens a file of the record
// framing; files of the record framing hold records of package
// internal/record after it:
//
//	+--------------+------------+-------------------+
//	| crc64 u64 LE | len u32 LE | body (len bytes)  |
//	+--------------+------------+-------------------+
//	 0              8            12
//
// crc64 is the CRC-64/Jones of the 4 length bytes followed by the body: the
// length is covered, so a damaged length is caught even when the bytes it
// would select happen to checksum. Because the covered range is contiguous
// (bytes 8..12+len of the frame), the checksum of any candidate frame can be
// computed from prefix checksums (see crcRange), which keeps the corruption
// scan linear.
//
// len is at least 1: an empty body is never written, so a run of zero bytes
// (the usual residue of a torn write) never parses as an edit.

// appendFrame appends the frame of body to dst. The caller has checked the
// body's size (checkBodySize).
func appendFrame(dst, body []byte) []byte {
	var prefix [FrameHeaderSize]byte
	start := len(dst)
	dst = append(append(dst, prefix[:]...), body...)
	finishFrame(dst[start:])
	return dst
}

// finishFrame fills in the prefix of frame, whose body follows the
// FrameHeaderSize reserved bytes.
func finishFrame(frame []byte) {
	binary.LittleEndian.PutUint32(frame[8:12], uint32(len(frame)-FrameHeaderSize))
	binary.LittleEndian.PutUint64(frame[0:8], crc.Checksum(frame[8:]))
}

// frameProblem says why bytes do not hold a frame.
type frameProblem uint8

const (
	frameOK frameProblem = iota
	// frameShort: fewer than FrameHeaderSize bytes remain.
	frameShort
	// frameEmpty: the length is zero.
	frameEmpty
	// framePastEOF: the length runs past the end of the bytes.
	framePastEOF
	// frameChecksum: the checksum does not match.
	frameChecksum
)

func (p frameProblem) String() string {
	switch p {
	case frameOK:
		return "ok"
	case frameShort:
		return "truncated edit prefix"
	case frameEmpty:
		return "zero edit length"
	case framePastEOF:
		return "edit length past end of file"
	case frameChecksum:
		return "edit checksum mismatch"
	}
	return fmt.Sprintf("frameProblem(%d)", uint8(p))
}

// decodeFrame parses the frame at the start of b. On success it returns the
// body (aliasing b) and the frame's total size.
func decodeFrame(b []byte) (body []byte, size int, problem frameProblem) {
	if len(b) < FrameHeaderSize {
		return nil, 0, frameShort
	}
	n := binary.LittleEndian.Uint32(b[8:12])
	if n == 0 {
		return nil, 0, frameEmpty
	}
	if uint64(n) > uint64(len(b)-FrameHeaderSize) {
		return nil, 0, framePastEOF
	}
	end := FrameHeaderSize + int(n)
	if crc.Checksum(b[8:end]) != binary.LittleEndian.Uint64(b[0:8]) {
		return nil, 0, frameChecksum
	}
	return b[FrameHeaderSize:end], end, frameOK
}
