package wal

import (
	"encoding/binary"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/record"
)

// The constants below are part of the on-disk format (see doc.go) and
// never change.
const (
	// magic opens every WAL in the record framing (format version 6 on):
	// its records are seeded by the header (package internal/record).
	magic = "TMPSWAL2"
	// legacyMagic opens every WAL in the legacy framing, written for
	// databases below format version 6: the same records, unseeded.
	legacyMagic = "TMPS_WAL"
	// HeaderSize is the size of the file header: magic, then the file
	// number as u64 LE.
	HeaderSize = 16
	// RecordHeaderSize is the size of the fixed part of a record (see
	// package internal/record):
	//
	//	+-----------+----------+---------+-------------+
	//	| crc (u64) | len (u32)| type u8 | synced (u64)|  then len payload bytes
	//	+-----------+----------+---------+-------------+
	//	0           8          12        13            21
	RecordHeaderSize = record.HeaderSize
	// MaxPayloadSize is the largest payload a record can carry (len is a
	// u32).
	MaxPayloadSize = record.MaxPayloadSize

	// endPayloadSize is the size of an end record's payload: the next
	// WAL's file number as u64 LE.
	endPayloadSize = 8
)

// RecordType says what a record's payload holds.
type RecordType = record.Type

const (
	// RecordData carries one committed batch.
	RecordData = record.TypeData
	// RecordEnd closes the log. Its payload is the file number (u64 LE) of
	// the WAL that follows, or 0 when the DB closed.
	RecordEnd = record.TypeEnd
)

// Header is the decoded file header.
type Header struct {
	Num base.FileNum
	// Legacy is true for a log in the legacy framing (magic "TMPS_WAL",
	// unseeded records), written below format version 6.
	Legacy bool
}

// seed returns the checksum seed of the records of the log h heads.
func (h Header) seed() record.Seed {
	if h.Legacy {
		return record.Unseeded
	}
	return record.FileSeed(magic, uint64(h.Num))
}

// Record is one decoded record, as listed by ReadAll.
type Record = record.Record

// appendHeader appends the 16-byte file header h.
func appendHeader(dst []byte, h Header) []byte {
	m := magic
	if h.Legacy {
		m = legacyMagic
	}
	dst = append(dst, m...)
	return binary.LittleEndian.AppendUint64(dst, uint64(h.Num))
}

// parseHeader decodes the header at the start of data, which holds at
// least HeaderSize bytes; ok is false if the magic is neither framing's.
func parseHeader(data []byte) (h Header, ok bool) {
	h.Num = base.FileNum(binary.LittleEndian.Uint64(data[len(magic):]))
	switch string(data[:len(magic)]) {
	case magic:
		return h, true
	case legacyMagic:
		h.Legacy = true
		return h, true
	}
	return Header{}, false
}

// knownMagic reports whether data starts with either framing's magic.
func knownMagic(data []byte) bool {
	if len(data) < len(magic) {
		return false
	}
	m := string(data[:len(magic)])
	return m == magic || m == legacyMagic
}
