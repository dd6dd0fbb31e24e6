package sstable

import (
	"encoding/binary"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/crc"
)

// Footer layout (see doc.go), all little-endian:
//
//	0  magic "TMPS_SST"     36 props offset u64    60 format version u32
//	8  bloom offset u64     44 props size u32      64 crc64 u64 of [0, 64)
//	16 bloom size u32       48 index offset u64    72 end
//	20 bloom k u64          56 index size u32
//	28 bloom m u64
const (
	footerLen      = 72
	footerCRCStart = 64
	magic          = "TMPS_SST"
)

// footer is the decoded fixed-size tail of a table.
type footer struct {
	bloom          blockHandle
	bloomK, bloomM uint64
	props          blockHandle
	index          blockHandle
	version        uint32
}

// encode returns the footer's 72 bytes.
func (f *footer) encode() []byte {
	b := make([]byte, 0, footerLen)
	b = append(b, magic...)
	b = binary.LittleEndian.AppendUint64(b, f.bloom.offset)
	b = binary.LittleEndian.AppendUint32(b, f.bloom.size)
	b = binary.LittleEndian.AppendUint64(b, f.bloomK)
	b = binary.LittleEndian.AppendUint64(b, f.bloomM)
	b = binary.LittleEndian.AppendUint64(b, f.props.offset)
	b = binary.LittleEndian.AppendUint32(b, f.props.size)
	b = binary.LittleEndian.AppendUint64(b, f.index.offset)
	b = binary.LittleEndian.AppendUint32(b, f.index.size)
	b = binary.LittleEndian.AppendUint32(b, f.version)
	return binary.LittleEndian.AppendUint64(b, crc.Checksum(b))
}

// decodeFooter decodes the footer read from offset off of file. It checks
// the magic, the format version and the checksum, in that order; the
// handles are checked against the file by validate.
func decodeFooter(b []byte, file string, off int64) (footer, error) {
	if len(b) != footerLen {
		return footer{}, base.Corruptionf(file, off, "footer is %d bytes, want %d", len(b), footerLen)
	}
	if string(b[:8]) != magic {
		return footer{}, base.Corruptionf(file, off, "bad magic %q: not an sstable", b[:8])
	}
	le := binary.LittleEndian
	f := footer{
		bloom:   blockHandle{offset: le.Uint64(b[8:]), size: le.Uint32(b[16:])},
		bloomK:  le.Uint64(b[20:]),
		bloomM:  le.Uint64(b[28:]),
		props:   blockHandle{offset: le.Uint64(b[36:]), size: le.Uint32(b[44:])},
		index:   blockHandle{offset: le.Uint64(b[48:]), size: le.Uint32(b[56:])},
		version: le.Uint32(b[60:]),
	}
	if f.version != FormatVersion {
		return footer{}, base.Corruptionf(file, off+60, "unsupported format version %d (this build reads %d)",
			f.version, FormatVersion)
	}
	if got, want := crc.Checksum(b[:footerCRCStart]), le.Uint64(b[footerCRCStart:]); got != want {
		return footer{}, base.Corruptionf(file, off+footerCRCStart,
			"footer checksum mismatch: stored %#016x, computed %#016x", want, got)
	}
	return f, nil
}

// validate checks that the bloom, properties and index blocks follow each
// other, in that order, and end where the footer begins at footerOff, and
// that the bloom parameters match the bloom block.
func (f *footer) validate(footerOff uint64, file string) error {
	corrupt := func(format string, args ...any) error {
		return base.Corruptionf(file, int64(footerOff), "footer: "+format, args...)
	}
	// Each check bounds the offset before end() adds to it, so no sum
	// below can overflow.
	switch {
	case f.bloom.offset > footerOff || f.bloom.end() != f.props.offset:
		return corrupt("bloom block %d+%d does not end at the properties block (%d)",
			f.bloom.offset, f.bloom.size, f.props.offset)
	case f.props.offset > footerOff || f.props.end() != f.index.offset:
		return corrupt("properties block %d+%d does not end at the index block (%d)",
			f.props.offset, f.props.size, f.index.offset)
	case f.index.offset > footerOff || f.index.end() != footerOff:
		return corrupt("index block %d+%d does not end at the footer (%d)",
			f.index.offset, f.index.size, footerOff)
	case (f.bloomM == 0) != (f.bloomK == 0) || f.bloomK > maxBloomK || f.bloomM > maxBloomBits:
		return corrupt("invalid bloom parameters k=%d m=%d", f.bloomK, f.bloomM)
	case uint64(f.bloom.size) != bloomBytes(f.bloomM):
		return corrupt("bloom block of %d bytes cannot hold %d bits", f.bloom.size, f.bloomM)
	}
	return nil
}
