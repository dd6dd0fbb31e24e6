package wal

import (
	"encoding/binary"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/vfs"
)

// Salvage reads a damaged WAL for repair: unlike Replay, which keeps the
// prefix of records before the first invalid one, it keeps every record
// whose checksum passes and lists the byte ranges it had to skip.
//
// After an invalid record at X, the scan looks at every byte offset p > X
// for the next valid record: a defined type, a synced offset in
// [HeaderSize, p], a length within the file and a matching checksum. The
// bytes [X, p) are one Damage range; the scan resumes at p. A record
// found this way is genuine unless the checksum collides (a chance of
// 2^-64 per candidate) or a payload embeds the bytes of a whole record,
// which only a payload that holds a copy of a WAL can do.
//
// The header carries no checksum. A header with a wrong magic followed by
// records is a damaged header: [0, HeaderSize) is reported and the records
// are read. A file shorter than the header, or a bad header followed only
// by zeros, is a log whose creation crashed (no record was ever
// acknowledged), as Replay decides.

// SalvageDamage is a byte range of a WAL whose records could not be read.
type SalvageDamage struct {
	// Offset and End delimit the range: [Offset, End).
	Offset, End int64
	// Tail is true when no valid record follows: End is the file size.
	// Whether a tail is the torn tail of a crashed process or damage
	// depends on what the caller knows about the log (was it closed, is
	// it the newest); Replay's rule is that a tail no later record
	// vouches for is torn.
	Tail bool
	// Zero is true when every byte of the range is zero (a preallocated
	// or zero-filled region).
	Zero bool
	// Reason says why the bytes at Offset are not a record.
	Reason string
}

// SalvageResult describes what Salvage read.
type SalvageResult struct {
	// Header is the decoded header; HeaderValid is false when the magic
	// is wrong or the file is shorter than a header.
	Header      Header
	HeaderValid bool
	// Records is the number of data records passed to the callback.
	Records int
	// CleanClose is true if a valid end record was found; Next is the file
	// number it names (0 when the DB closed).
	CleanClose bool
	Next       base.FileNum
	// FileSize is the size of the file.
	FileSize int64
	// Damage lists the skipped ranges in file order.
	Damage []SalvageDamage
}

// Salvage reads the WAL at path and calls fn, in file order, for every
// valid data record: its payload (valid only during the call) and file
// offset. It returns an error only if the file cannot be read or fn fails;
// damage is reported in the result. It never writes to the file.
func Salvage(fs vfs.FS, path string, fn func(payload []byte, offset int64) error) (SalvageResult, error) {
	data, err := readFile(fs, path)
	if err != nil {
		return SalvageResult{}, err
	}
	res := SalvageResult{FileSize: int64(len(data))}
	if len(data) < HeaderSize || (string(data[:len(magic)]) != magic && allZero(data[HeaderSize:])) {
		return res, nil // a log whose header never became durable
	}
	if string(data[:len(magic)]) == magic {
		res.HeaderValid = true
		res.Header = Header{Num: base.FileNum(binary.LittleEndian.Uint64(data[len(magic):]))}
	} else {
		res.Damage = append(res.Damage, SalvageDamage{Offset: 0, End: HeaderSize, Reason: "invalid magic number"})
	}
	return res, salvageRecords(data, &res, fn)
}

// salvageRecords scans the records of data from HeaderSize on.
func salvageRecords(data []byte, res *SalvageResult, fn func(payload []byte, offset int64) error) error {
	off := int64(HeaderSize)
	for off < int64(len(data)) {
		r, size, ok := parseRecord(data[off:])
		reason := "invalid record (short, torn, zeroed or checksum mismatch)"
		if ok && !r.Type.valid() {
			ok, reason = false, "unknown record type"
		}
		if !ok {
			next := nextValidRecord(data, off+1)
			res.Damage = append(res.Damage, SalvageDamage{
				Offset: off, End: next, Tail: next == int64(len(data)),
				Zero: allZero(data[off:next]), Reason: reason,
			})
			off = next
			continue
		}
		if r.Type == RecordEnd {
			res.CleanClose = len(r.Payload) == endPayloadSize
			if res.CleanClose {
				res.Next = base.FileNum(binary.LittleEndian.Uint64(r.Payload))
			}
			if end := off + size; end < int64(len(data)) {
				// Nothing is ever written after an end record.
				res.Damage = append(res.Damage, SalvageDamage{
					Offset: end, End: int64(len(data)), Tail: true,
					Zero: allZero(data[end:]), Reason: "bytes after the end record",
				})
			}
			return nil
		}
		if err := fn(r.Payload, off); err != nil {
			return err
		}
		res.Records++
		off += size
	}
	return nil
}

// nextValidRecord returns the first offset p >= from holding a record of a
// defined type whose synced field lies in [HeaderSize, p] and whose
// checksum matches, or len(data) if there is none. The type and synced
// filters reject zeroed and random bytes before any checksum is computed.
func nextValidRecord(data []byte, from int64) int64 {
	for p := from; p+RecordHeaderSize <= int64(len(data)); p++ {
		b := data[p:]
		if !RecordType(b[typeOffset]).valid() {
			continue
		}
		if s := binary.LittleEndian.Uint64(b[syncedOffset:]); s < HeaderSize || s > uint64(p) {
			continue
		}
		if _, _, ok := parseRecord(b); ok {
			return p
		}
	}
	return int64(len(data))
}

// allZero reports whether b holds only zero bytes.
func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
