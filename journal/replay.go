package journal

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/crc"
)

// Recovery of the edits of one journal file of the legacy framing (frame.go;
// the record framing's is in records.go, with the same outcomes). Each append is fsynced before
// the next one is written, so at most the last frame of a file can be torn
// by a crash. A damaged frame followed by any valid frame therefore cannot be
// a torn write: it was durable before the later frame was appended.
//
// Decision table, for the frame at the current offset:
//
//	| frame at offset                                   | valid frame later? | outcome                       |
//	|---------------------------------------------------|--------------------|-------------------------------|
//	| checksum ok, decodes, Apply ok                    | -                  | apply, continue after it      |
//	| none: end of file exactly at a frame boundary     | -                  | done                          |
//	| checksum ok, Decode fails                         | -                  | ErrCorruption                 |
//	| checksum ok, decodes, Apply fails                 | -                  | ErrCorruption                 |
//	| short prefix, zero length, length past EOF,       | yes                | ErrCorruption (mid-file)      |
//	|   or checksum mismatch                            |                    |                               |
//	| same                                              | no                 | torn tail: stop here; Open    |
//	|                                                   |                    |   rotates before any append   |
//
// A frame whose checksum matches but whose body does not decode (or does not
// apply) was written whole and synced: dropping it would silently lose a
// durable edit (one written by a newer format version, say), so it is
// reported as corruption rather than treated as a torn tail. A run of zero
// bytes has length 0 and never forms a frame, so a zero-filled tail is a
// torn tail. An error of Decode or Apply that matches
// base.ErrFormatVersion (the edit names a format version newer than the
// codec knows) is returned as such, with the file name, not as corruption.
//
// "Valid frame later" means any byte offset after the damaged frame's start
// holding a frame whose length fits in the file, whose checksum matches and
// whose body decodes.

// replayResult describes the edits read from one file.
type replayResult struct {
	edits int   // frames decoded and applied
	end   int64 // offset just past the last good frame
	torn  bool  // replay stopped at a torn tail at end
	// reason is why the frame at end is not valid, when torn.
	reason string
}

// replayEdits decodes the frames of data (a whole journal file, header
// included) from HeaderSize on and passes each edit to apply. file names the
// file in errors.
func replayEdits[E any](file string, data []byte, codec Codec[E], apply func(E) error) (replayResult, error) {
	var res replayResult
	off := HeaderSize
	for off < len(data) {
		body, size, problem := decodeFrame(data[off:])
		if problem != frameOK {
			if p, ok := findValidFrame(data, off+1, codec); ok {
				return res, base.Corruptionf(file, int64(off),
					"%s, but a valid edit follows at offset %d", problem, p)
			}
			res.end, res.torn, res.reason = int64(off), true, problem.String()
			return res, nil
		}
		if err := applyBody(file, int64(off), res.edits, body, codec, apply); err != nil {
			return res, err
		}
		res.edits++
		off += size
	}
	res.end = int64(off)
	return res, nil
}

// applyBody decodes body, the n-th edit of file, at offset off, and passes
// it to apply (if not nil). A body that does not decode, or an edit apply
// rejects, is corruption; an error matching base.ErrFormatVersion is
// returned as such, with the file name.
func applyBody[E any](file string, off int64, n int, body []byte, codec Codec[E], apply func(E) error) error {
	e, err := codec.Decode(body)
	if errors.Is(err, base.ErrFormatVersion) {
		return fmt.Errorf("%s: %w", file, err)
	}
	if err != nil {
		return base.Corruptionf(file, off, "edit %d has a valid checksum but does not decode: %v", n, err)
	}
	if apply == nil {
		return nil
	}
	err = apply(e)
	if errors.Is(err, base.ErrFormatVersion) {
		return fmt.Errorf("%s: %w", file, err)
	}
	if err != nil {
		return base.Corruptionf(file, off, "edit %d rejected on replay: %v", n, err)
	}
	return nil
}

// shortRange is the length up to which a candidate's checksum is computed
// directly rather than from prefix checksums.
const shortRange = 256

// findValidFrame reports the first offset >= from in data that holds a valid
// frame: its length fits, its checksum matches and its body decodes.
//
// Every offset is a candidate, so the checksum of a candidate is derived
// from a running prefix checksum and the ranger's checkpoints (see
// crcrange.go): each costs at most one checkpoint interval of CRC plus a
// shift, independent of the length the candidate claims.
func findValidFrame[E any](data []byte, from int, codec Codec[E]) (int, bool) {
	if from < 0 || from+FrameHeaderSize >= len(data) {
		return 0, false
	}
	var r *crcRanger   // built on the first long candidate
	var running uint64 // crc(data[:p+8]) once r is built
	runningAt := -1    // the p that running belongs to
	for p := from; p+FrameHeaderSize < len(data); p++ {
		n := binary.LittleEndian.Uint32(data[p+8 : p+12])
		if n == 0 || uint64(n) > uint64(len(data)-p-FrameHeaderSize) {
			continue
		}
		end := p + FrameHeaderSize + int(n)
		want := binary.LittleEndian.Uint64(data[p : p+8])
		var sum uint64
		if int(n)+4 <= shortRange {
			sum = crc.Checksum(data[p+8 : end])
		} else {
			if r == nil {
				r = newCRCRanger(data)
			}
			switch {
			case runningAt < 0 || p-runningAt > crcCheckpoint:
				running = r.prefix(p + 8)
			default:
				running = crc.Update(running, data[runningAt+8:p+8])
			}
			runningAt = p
			sum = r.prefix(end) ^ crcShift(running, uint64(end-(p+8)))
		}
		if sum != want {
			continue
		}
		if _, err := codec.Decode(data[p+FrameHeaderSize : end]); err != nil {
			continue
		}
		return p, true
	}
	return 0, false
}
