package wal

import (
	"encoding/binary"
	"fmt"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/crc"
)

// The constants below are part of the on-disk format (see doc.go) and
// never change.
const (
	// magic opens every WAL file.
	magic = "TMPS_WAL"
	// HeaderSize is the size of the file header: magic, then the file
	// number as u64 LE.
	HeaderSize = 16
	// RecordHeaderSize is the size of the fixed part of a record:
	//
	//	+-----------+----------+---------+-------------+
	//	| crc (u64) | len (u32)| type u8 | synced (u64)|  then len payload bytes
	//	+-----------+----------+---------+-------------+
	//	0           8          12        13            21
	RecordHeaderSize = 21
	// MaxPayloadSize is the largest payload a record can carry (len is a
	// u32).
	MaxPayloadSize = 1<<32 - 1

	crcOffset    = 0
	lenOffset    = 8
	typeOffset   = 12
	syncedOffset = 13

	// endPayloadSize is the size of an end record's payload: the next
	// WAL's file number as u64 LE.
	endPayloadSize = 8
)

// RecordType says what a record's payload holds.
type RecordType uint8

const (
	// RecordData carries one committed batch.
	RecordData RecordType = 1
	// RecordEnd closes the log. Its payload is the file number (u64 LE) of
	// the WAL that follows, or 0 when the DB closed. Type 0 is never
	// written, so a zero-filled region never parses as a record (the
	// CRC-64/Jones of zeros is zero).
	RecordEnd RecordType = 2
)

func (t RecordType) String() string {
	switch t {
	case RecordData:
		return "data"
	case RecordEnd:
		return "end"
	default:
		return fmt.Sprintf("type(%d)", uint8(t))
	}
}

func (t RecordType) valid() bool { return t == RecordData || t == RecordEnd }

// Header is the decoded file header.
type Header struct {
	Num base.FileNum
}

// Record is one decoded record, as listed by ReadAll.
type Record struct {
	Offset  int64 // file offset of the record's first byte (its crc)
	Type    RecordType
	Synced  int64 // the file was durable up to this offset when written
	Payload []byte
}

// appendHeader appends the 16-byte file header for num.
func appendHeader(dst []byte, num base.FileNum) []byte {
	dst = append(dst, magic...)
	return binary.LittleEndian.AppendUint64(dst, uint64(num))
}

// appendRecord frames payload as a record of type t and appends it to dst.
// The crc covers every byte after the crc field: len, type, synced and the
// payload. The caller has checked len(payload) <= MaxPayloadSize.
func appendRecord(dst []byte, t RecordType, synced int64, payload []byte) []byte {
	start := len(dst)
	dst = append(dst, make([]byte, RecordHeaderSize)...)
	h := dst[start:]
	binary.LittleEndian.PutUint32(h[lenOffset:], uint32(len(payload)))
	h[typeOffset] = byte(t)
	binary.LittleEndian.PutUint64(h[syncedOffset:], uint64(synced))
	dst = append(dst, payload...)
	sum := crc.Checksum(dst[start+lenOffset:])
	binary.LittleEndian.PutUint64(dst[start+crcOffset:], sum)
	return dst
}

// parseRecord decodes the record that starts at buf[0]. ok is false if
// the bytes do not form a record: too short for the fixed part, a length
// running past the end of buf, type 0, or a crc mismatch. Type 0 is
// rejected before the crc is computed because a zero-filled region (what a
// file system may leave after a crash) has a matching crc. Other types the
// format does not define are returned as they are, for the caller to
// judge.
func parseRecord(buf []byte) (r Record, size int64, ok bool) {
	if len(buf) < RecordHeaderSize {
		return Record{}, 0, false
	}
	n := uint64(binary.LittleEndian.Uint32(buf[lenOffset:]))
	if n > uint64(len(buf)-RecordHeaderSize) {
		return Record{}, 0, false
	}
	t := RecordType(buf[typeOffset])
	if t == 0 {
		return Record{}, 0, false
	}
	end := RecordHeaderSize + int(n)
	if crc.Checksum(buf[lenOffset:end]) != binary.LittleEndian.Uint64(buf[crcOffset:]) {
		return Record{}, 0, false
	}
	r = Record{Type: t, Payload: buf[RecordHeaderSize:end:end]}
	if synced := binary.LittleEndian.Uint64(buf[syncedOffset:]); synced > 1<<63-1 {
		// Not a value the writer produces; keep it out of int64.
		r.Synced = -1
	} else {
		r.Synced = int64(synced)
	}
	return r, int64(end), true
}
