package wal

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/crc"
	"github.com/tempestdb/tempest/internal/record"
	"github.com/tempestdb/tempest/vfs"
)

// ReplayResult describes what recovery found in one WAL.
type ReplayResult struct {
	// Records is the number of data records passed to the callback.
	Records int
	// CleanClose is true if the log ends with a valid end record.
	CleanClose bool
	// Next is the file number named by the end record (0 if none).
	Next base.FileNum
	// ValidSize is the offset just past the last valid record (or the
	// header), where a torn tail starts, if any. It is 0 for a file whose
	// header never became durable.
	ValidSize int64
	// FileSize is the size of the file.
	FileSize int64
	// TornTail is true if the bytes from ValidSize to FileSize were
	// dropped as the unsynced tail of a crashed process.
	TornTail bool
	// Checksum is the CRC-64/Jones of the whole file, to compare with the
	// Final recorded when the log was closed (see Expect).
	Checksum uint64
}

// Replay reads WAL num in dir and calls fn, in order, for each data
// record that recovery keeps: the payload (valid only during the call) and
// the record's file offset. A torn tail is not an error (see
// ReplayResult.TornTail); damage to data that was durable is an error
// matching base.ErrCorruption that names the file and offset. If fn
// returns an error, Replay stops and returns it.
//
// Replay reads the whole file into memory: a WAL is bounded by the
// memtable size (tens of MiB), and the torn-tail check needs random access
// to everything after the first damaged record.
func Replay(fs vfs.FS, dir string, num base.FileNum, fn func(payload []byte, offset int64) error) (ReplayResult, error) {
	path := fs.PathJoin(dir, FileName(num))
	data, err := readFile(fs, path)
	if err != nil {
		return ReplayResult{}, err
	}
	_, res, err := decode(path, data, num, true, func(r Record) error {
		if r.Type != RecordData {
			return nil
		}
		return fn(r.Payload, r.Offset)
	})
	return res, err
}

// ReadAll lists every record of the WAL at path, for inspection tools. The
// file number in the header is checked against the file's name when the
// name has the form FileName produces. On error, header, records and
// result describe what was read before the damage; records' payloads
// alias one buffer holding the file.
func ReadAll(fs vfs.FS, path string) (header Header, records []Record, result ReplayResult, err error) {
	data, err := readFile(fs, path)
	if err != nil {
		return Header{}, nil, ReplayResult{}, err
	}
	name := path[strings.LastIndexAny(path, `/\`)+1:]
	num, check := ParseFileName(name)
	header, result, err = decode(path, data, num, check, func(r Record) error {
		records = append(records, r)
		return nil
	})
	return header, records, result, err
}

// readFile returns the contents of the file at path (vfs.ReadFile: the
// allocation is driven by the file's size, never by a length field inside
// it).
func readFile(fs vfs.FS, path string) ([]byte, error) {
	data, err := vfs.ReadFile(fs, path)
	if err != nil {
		return nil, fmt.Errorf("wal: %w", err)
	}
	return data, nil
}

// decode validates data, the contents of the WAL at path, and calls fn for
// every valid record (data and end) in order. If check is set the header
// must name num. The records and their torn-versus-corrupt rules are
// package internal/record's; see doc.go for the header's.
func decode(path string, data []byte, num base.FileNum, check bool, fn func(Record) error) (Header, ReplayResult, error) {
	res := ReplayResult{FileSize: int64(len(data)), Checksum: crc.Checksum(data)}
	if len(data) < HeaderSize || (len(data) == HeaderSize && !knownMagic(data)) {
		// The header never became durable (a short file, or a header torn
		// into zeros or stale bytes with nothing after it): Create had not
		// returned, so no record was acknowledged. An empty log. Create
		// fsyncs the header before anything follows it, so a bad header
		// in a longer file is corruption (below).
		res.TornTail = len(data) > 0
		return Header{}, res, nil
	}
	h, ok := parseHeader(data)
	if !ok {
		return Header{}, res, base.Corruptionf(path, 0, "invalid magic number %q: not a write-ahead log file", data[:len(magic)])
	}
	if check && h.Num != num {
		return h, res, &FileNumMismatchError{File: path, Expected: num, Got: h.Num}
	}
	f := record.File{Path: path, Data: data, Start: HeaderSize, Seed: h.seed()}
	r, err := record.Scan(f, func(r Record) error {
		if r.Type == RecordEnd {
			if len(r.Payload) != endPayloadSize {
				return base.Corruptionf(path, r.Offset, "malformed end record (%d-byte payload)", len(r.Payload))
			}
			res.Next = base.FileNum(binary.LittleEndian.Uint64(r.Payload))
			return fn(r)
		}
		if err := fn(r); err != nil {
			return err
		}
		res.Records++
		return nil
	})
	res.ValidSize, res.TornTail = r.ValidSize, r.Torn
	if err != nil {
		res.Next = 0
		return h, res, err
	}
	res.CleanClose = r.End
	return h, res, nil
}
