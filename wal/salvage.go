package wal

import (
	"encoding/binary"
	"strings"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/record"
	"github.com/tempestdb/tempest/vfs"
)

// Salvage reads a damaged WAL for repair: unlike Replay, which keeps the
// prefix of records before the first invalid one, it keeps every record
// whose checksum passes and lists the byte ranges it had to skip.
//
// After an invalid record at X, the scan looks at every byte offset p > X
// for the next valid record (record.NextValid): a defined type, a synced
// offset in [HeaderSize, p], a length within the file and a matching
// checksum. The
// bytes [X, p) are one Damage range; the scan resumes at p. A record
// found this way is genuine unless the checksum collides (a chance of
// 2^-64 per candidate) or a payload embeds the bytes of a whole record,
// which only a payload that holds a copy of a WAL can do.
//
// The header carries no checksum. A header with a wrong magic followed by
// records is a damaged header: [0, HeaderSize) is reported and the records
// are read, in the framing (and under the file number, the header's or
// the name's) in which one reads first. A file shorter than the header, or a bad header followed only
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
	if len(data) < HeaderSize || (!knownMagic(data) && allZero(data[HeaderSize:])) {
		return res, nil // a log whose header never became durable
	}
	h, ok := parseHeader(data)
	if ok {
		res.HeaderValid, res.Header = true, h
	} else {
		res.Damage = append(res.Damage, SalvageDamage{Offset: 0, End: HeaderSize, Reason: "invalid magic number"})
		h = guessHeader(path, data)
	}
	f := record.File{Path: path, Data: data, Start: HeaderSize, Seed: h.seed()}
	return res, salvageRecords(f, &res, fn)
}

// guessHeader returns the header under which the records after a damaged
// header read: of the two framings, with the file number of the header
// or of the file's name, the one whose first valid record comes first.
func guessHeader(path string, data []byte) Header {
	num := base.FileNum(binary.LittleEndian.Uint64(data[len(magic):]))
	candidates := []Header{{Legacy: true}, {Num: num}}
	if n, ok := ParseFileName(path[strings.LastIndexAny(path, `/\`)+1:]); ok && n != num {
		candidates = append(candidates, Header{Num: n})
	}
	best, bestAt := candidates[0], int64(len(data))+1
	for _, h := range candidates {
		f := record.File{Data: data, Start: HeaderSize, Seed: h.seed()}
		if p := record.NextValid(f, HeaderSize); p < bestAt {
			best, bestAt = h, p
		}
	}
	return best
}

// salvageRecords scans the records of f from HeaderSize on.
func salvageRecords(f record.File, res *SalvageResult, fn func(payload []byte, offset int64) error) error {
	data := f.Data
	off := int64(HeaderSize)
	for off < int64(len(data)) {
		r, size, problem := record.Parse(data[off:], f.Seed)
		reason := "invalid record (" + problem.String() + ")"
		ok := problem == record.OK
		if ok && !r.Type.Valid() {
			ok, reason = false, "unknown record type"
		}
		if !ok {
			next := record.NextValid(f, off+1)
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

// allZero reports whether b holds only zero bytes.
func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
