package sstable

import (
	"encoding/binary"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/crc"
)

// Footer layout (see doc.go), all little-endian:
//
//	0  magic "TMPS_SST"        32 bloom k u64          60 index offset u64
//	8  range-del offset u64    40 bloom m u64          68 index size u32
//	16 range-del size u32      48 props offset u64     72 format version u32
//	20 bloom offset u64        56 props size u32       76 crc64 u64 of [0, 76)
//	28 bloom size u32                                  84 end
const (
	footerLen           = 84
	footerVersionOffset = 72
	footerCRCStart      = 76
	magic               = "TMPS_SST"
)

// footer is the decoded fixed-size tail of a table.
type footer struct {
	rangeDel       blockHandle
	bloom          blockHandle
	bloomK, bloomM uint64
	props          blockHandle
	index          blockHandle
	version        uint32
}

// encode returns the footer's bytes.
func (f *footer) encode() []byte {
	b := make([]byte, 0, footerLen)
	b = append(b, magic...)
	b = binary.LittleEndian.AppendUint64(b, f.rangeDel.offset)
	b = binary.LittleEndian.AppendUint32(b, f.rangeDel.size)
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
		rangeDel: blockHandle{offset: le.Uint64(b[8:]), size: le.Uint32(b[16:])},
		bloom:    blockHandle{offset: le.Uint64(b[20:]), size: le.Uint32(b[28:])},
		bloomK:   le.Uint64(b[32:]),
		bloomM:   le.Uint64(b[40:]),
		props:    blockHandle{offset: le.Uint64(b[48:]), size: le.Uint32(b[56:])},
		index:    blockHandle{offset: le.Uint64(b[60:]), size: le.Uint32(b[68:])},
		version:  le.Uint32(b[footerVersionOffset:]),
	}
	if f.version < MinFormatVersion || f.version > FormatVersion {
		return footer{}, base.Corruptionf(file, off+footerVersionOffset, "unsupported format version %d (this build reads %d to %d)",
			f.version, MinFormatVersion, FormatVersion)
	}
	if got, want := crc.Checksum(b[:footerCRCStart]), le.Uint64(b[footerCRCStart:]); got != want {
		return footer{}, base.Corruptionf(file, off+footerCRCStart,
			"footer checksum mismatch: stored %#016x, computed %#016x", want, got)
	}
	return f, nil
}

// blockedBloom reports whether the table's bloom filter is blocked
// (format version 3 and later).
func (f *footer) blockedBloom() bool { return f.version >= 3 }

// validate checks that the range-deletion, bloom, properties and index
// blocks follow each other, in that order, and end where the footer begins
// at footerOff, and that the bloom parameters match the bloom block. The
// data blocks before the range-deletion block are checked by
// validateIndex.
func (f *footer) validate(footerOff uint64, file string) error {
	corrupt := func(format string, args ...any) error {
		return base.Corruptionf(file, int64(footerOff), "footer: "+format, args...)
	}
	// Each check bounds the offset before end() adds to it, so no sum
	// below can overflow.
	switch {
	case f.rangeDel.offset > footerOff || f.rangeDel.end() != f.bloom.offset:
		return corrupt("range-deletion block %d+%d does not end at the bloom block (%d)",
			f.rangeDel.offset, f.rangeDel.size, f.bloom.offset)
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
	case f.blockedBloom() && f.bloomM%bloomBlockBits != 0:
		return corrupt("blocked bloom filter of %d bits is not whole %d-bit blocks", f.bloomM, bloomBlockBits)
	}
	return nil
}
