package journal

import (
	"encoding/binary"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/crc"
)

// Magic opens every journal file, of either framing (see framing.go).
const Magic = "TMPSJRNL"

// HeaderSize is the size of the file header.
const HeaderSize = 24

// Header is the fixed header of a journal file:
//
//	+--------------------+---------------+------------------------------+
//	| magic 8            | filenum u64LE | crc64 of bytes 0..16, u64 LE |
//	+--------------------+---------------+------------------------------+
//
// The header of a rotated file is written last, after its snapshot edit is
// durable, so a file with a valid header always holds a complete snapshot.
type Header struct {
	FileNum uint64
	// Legacy is true for a file in the legacy framing (framing.go), as
	// ReadFile and SalvageFile found it. The header itself is the same in
	// both framings.
	Legacy bool
}

// encodeHeader returns the encoded header.
func encodeHeader(h Header) [HeaderSize]byte {
	var b [HeaderSize]byte
	copy(b[:8], Magic)
	binary.LittleEndian.PutUint64(b[8:16], h.FileNum)
	binary.LittleEndian.PutUint64(b[16:24], crc.Checksum(b[:16]))
	return b
}

// decodeHeader validates and decodes the header at the start of b. file
// names the file in errors.
func decodeHeader(file string, b []byte) (Header, error) {
	if len(b) < HeaderSize {
		return Header{}, base.Corruptionf(file, 0, "journal header truncated: %d of %d bytes", len(b), HeaderSize)
	}
	if string(b[:8]) != Magic {
		return Header{}, base.Corruptionf(file, 0, "invalid journal magic %q", b[:8])
	}
	if got, want := crc.Checksum(b[:16]), binary.LittleEndian.Uint64(b[16:24]); got != want {
		return Header{}, base.Corruptionf(file, 16, "journal header checksum mismatch: computed %#016x, stored %#016x", got, want)
	}
	return Header{FileNum: binary.LittleEndian.Uint64(b[8:16])}, nil
}

// DecodeHeader validates and decodes the header at the start of b (for
// inspection tools); Legacy is not set. An invalid header is an error
// matching base.ErrCorruption naming file.
func DecodeHeader(file string, b []byte) (Header, error) { return decodeHeader(file, b) }
