package blob

import (
	"encoding/binary"

	"github.com/tempestdb/tempest/internal/base"
)

// PrefixLen is the number of a value's first bytes a Handle carries, for
// visibility filters (a TTL filter reads a timestamp from the first 8
// bytes of a value).
const PrefixLen = 8

// Handle names a value in a blob file.
type Handle struct {
	FileNum base.FileNum
	// Offset and Length locate the block's stored bytes (without its
	// 9-byte trailer).
	Offset, Length uint64
	// ValueLen is the decoded length of the value.
	ValueLen uint64
	// Prefix is the value's first min(PrefixLen, ValueLen) bytes.
	Prefix []byte
}

// Append appends the encoding of h: four uvarints (file number, offset,
// length, value length), then the prefix bytes up to the end.
func (h Handle) Append(dst []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(h.FileNum))
	dst = binary.AppendUvarint(dst, h.Offset)
	dst = binary.AppendUvarint(dst, h.Length)
	dst = binary.AppendUvarint(dst, h.ValueLen)
	return append(dst, h.Prefix...)
}

// DecodeHandle decodes an encoded handle; the result's Prefix aliases b.
// Errors match base.ErrCorruption (file names where b came from).
func DecodeHandle(b []byte, file string) (Handle, error) {
	var h Handle
	var f [4]uint64
	rest := b
	for i := range f {
		v, n := binary.Uvarint(rest)
		if n <= 0 {
			return Handle{}, base.Corruptionf(file, 0, "blob handle of %d bytes: bad field %d", len(b), i)
		}
		f[i], rest = v, rest[n:]
	}
	h.FileNum, h.Offset, h.Length, h.ValueLen = base.FileNum(f[0]), f[1], f[2], f[3]
	if uint64(len(rest)) != min(h.ValueLen, PrefixLen) {
		return Handle{}, base.Corruptionf(file, 0, "blob handle: prefix of %d bytes for a value of %d", len(rest), h.ValueLen)
	}
	h.Prefix = rest
	return h, nil
}
