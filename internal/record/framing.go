package record

import (
	"encoding/binary"
	"fmt"

	"github.com/tempestdb/tempest/internal/crc"
)

// The constants below are part of the on-disk format (see doc.go) and
// never change.
const (
	// HeaderSize is the size of a record's fixed part: crc u64, len u32,
	// type u8, synced u64.
	HeaderSize = 21
	// MaxPayloadSize is the largest payload a record can carry (len is a
	// u32).
	MaxPayloadSize = 1<<32 - 1

	crcOffset    = 0
	lenOffset    = 8
	typeOffset   = 12
	syncedOffset = 13
)

// Type says what a record's payload holds.
type Type uint8

const (
	// TypeData carries one entry of the log: a committed batch (WAL), an
	// edit (journal).
	TypeData Type = 1
	// TypeEnd closes the file; nothing follows it. Type 0 is never
	// written, so a zero-filled region never parses as a record.
	TypeEnd Type = 2
)

func (t Type) String() string {
	switch t {
	case TypeData:
		return "data"
	case TypeEnd:
		return "end"
	default:
		return fmt.Sprintf("type(%d)", uint8(t))
	}
}

// Valid reports whether t is a type the format defines.
func (t Type) Valid() bool { return t == TypeData || t == TypeEnd }

// Seed is the register the crc of every record of one file starts from
// (see doc.go). Unseeded is the plain CRC-64/Jones.
type Seed uint64

// Unseeded is the seed of files written below format version 6 (WALs of
// the legacy framing).
const Unseeded Seed = 0

// FileSeed returns the seed of the file whose header holds magic (8 bytes)
// and file number num.
func FileSeed(magic string, num uint64) Seed {
	b := binary.LittleEndian.AppendUint64([]byte(magic), num)
	return Seed(crc.Checksum(b))
}

// Record is one decoded record.
type Record struct {
	Offset  int64 // file offset of the record's first byte (its crc)
	Type    Type
	Synced  int64 // every record before this offset was durable when written
	Payload []byte
}

// Append frames payload as a record of type t and appends it to dst. The
// caller has checked len(payload) <= MaxPayloadSize and that t is defined.
func Append(dst []byte, seed Seed, t Type, synced int64, payload []byte) []byte {
	start := len(dst)
	dst = append(dst, make([]byte, HeaderSize)...)
	dst = append(dst, payload...)
	Finish(dst[start:], seed, t, synced)
	return dst
}

// AppendHeader appends to dst the fixed part of the record of type t
// framing a payload of n bytes whose CRC-64/Jones from register 0 is
// payloadCRC, without the payload: the caller writes the payload right
// after it, from its own memory, instead of copying it into one frame,
// and passes the payload's checksum, which it needs too, so that the
// payload is read once (the WAL does so for large batches). The checks
// are Append's.
func AppendHeader(dst []byte, seed Seed, t Type, synced int64, n int, payloadCRC uint64) []byte {
	start := len(dst)
	dst = append(dst, make([]byte, HeaderSize)...)
	h := dst[start:]
	putFixed(h, n, t, synced)
	sum := crc.Combine(crc.Update(uint64(seed), h[lenOffset:]), payloadCRC, int64(n))
	binary.LittleEndian.PutUint64(h[crcOffset:], sum)
	return dst
}

// Finish fills in the fixed part of frame, a record whose payload follows
// HeaderSize reserved bytes (so a caller can encode a payload in place).
func Finish(frame []byte, seed Seed, t Type, synced int64) {
	putFixed(frame, len(frame)-HeaderSize, t, synced)
	binary.LittleEndian.PutUint64(frame[crcOffset:], crc.Update(uint64(seed), frame[lenOffset:]))
}

// putFixed writes the len, type and synced fields of header h.
func putFixed(h []byte, n int, t Type, synced int64) {
	binary.LittleEndian.PutUint32(h[lenOffset:], uint32(n))
	h[typeOffset] = byte(t)
	binary.LittleEndian.PutUint64(h[syncedOffset:], uint64(synced))
}

// Problem says why bytes do not hold a record.
type Problem uint8

const (
	// OK: the bytes hold a record.
	OK Problem = iota
	// Short: fewer than HeaderSize bytes remain.
	Short
	// ZeroType: the type byte is 0, never written.
	ZeroType
	// PastEOF: the length runs past the end of the bytes.
	PastEOF
	// Checksum: the crc does not match.
	Checksum
)

func (p Problem) String() string {
	switch p {
	case OK:
		return "ok"
	case Short:
		return "truncated record header"
	case ZeroType:
		return "zero record type"
	case PastEOF:
		return "record length past end of file"
	case Checksum:
		return "record checksum mismatch"
	}
	return fmt.Sprintf("Problem(%d)", uint8(p))
}

// Parse decodes the record that starts at buf[0]. The payload aliases buf.
// Type 0 is rejected before the crc is computed because a zero-filled
// region has a matching unseeded crc. Other types the format does not
// define are returned as they are, for the caller to judge. A synced field
// above the int64 range is returned as -1, which no rule accepts.
func Parse(buf []byte, seed Seed) (r Record, size int64, p Problem) {
	if len(buf) < HeaderSize {
		return Record{}, 0, Short
	}
	t := Type(buf[typeOffset])
	if t == 0 {
		return Record{}, 0, ZeroType
	}
	n := uint64(binary.LittleEndian.Uint32(buf[lenOffset:]))
	if n > uint64(len(buf)-HeaderSize) {
		return Record{}, 0, PastEOF
	}
	end := HeaderSize + int(n)
	if crc.Update(uint64(seed), buf[lenOffset:end]) != binary.LittleEndian.Uint64(buf[crcOffset:]) {
		return Record{}, 0, Checksum
	}
	r = Record{Type: t, Payload: buf[HeaderSize:end:end], Synced: syncedOf(buf)}
	return r, int64(end), OK
}

// syncedOf returns the synced field of the record at buf[0], -1 if it is
// out of the int64 range.
func syncedOf(buf []byte) int64 {
	s := binary.LittleEndian.Uint64(buf[syncedOffset:])
	if s > 1<<63-1 {
		return -1
	}
	return int64(s)
}
