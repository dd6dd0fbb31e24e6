package journal

import (
	"bytes"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/record"
)

// A journal file is in one of two framings, behind the same header:
//
//	legacy:  header | frame(edit) | frame(edit) | ...
//	record:  header | frame(guard) | record(edit) | record(edit) | ...
//
// frame is the legacy frame (frame.go); record is a data record of package
// internal/record, whose checksum is seeded by the header
// (record.FileSeed(Magic, file number)) and whose synced field is its own
// offset, because every append is fsynced before the next is written. By
// the record framing's rules a damaged record followed by any valid record
// is therefore corruption, and one followed by none a torn tail: the
// journal's rule in both framings (replay.go has the legacy table). A file
// of the record framing holds no end record.
//
// The guard is a legacy frame whose body ends with GuardMarker: the
// codec's Guard (Guarded), or GuardMarker alone. The marker is what tells
// the framings apart, whatever the codec; the rest of the body is what a
// binary that knows only the legacy framing reads first: the manifest's
// guard is an edit that names format version 6 (the marker in a field it
// may skip), so such a binary refuses the database with
// base.ErrFormatVersion before it meets a record it cannot read. A legacy
// file never starts with the marker: its first edit is a snapshot or a
// database's first edit, which end otherwise. A record-framed file whose
// guard no longer reads, but which holds a valid record, is corruption
// (the guard was durable before the header was written).

// Guarded is implemented by a codec that supplies the guard of the record
// framing (see above): a body that ends with GuardMarker and that a reader
// of the legacy framing refuses.
type Guarded interface {
	Guard() []byte
}

// GuardMarker ends the body of the guard frame of every file of the record
// framing.
const GuardMarker = "TMPS-RECORD-FRAMING-1"

// guardOf returns the guard of codec: its Guard, if it ends with
// GuardMarker, or GuardMarker.
func guardOf[E any](codec Codec[E]) []byte {
	if g, ok := any(codec).(Guarded); ok {
		if b := g.Guard(); bytes.HasSuffix(b, []byte(GuardMarker)) {
			return b
		}
	}
	return []byte(GuardMarker)
}

// framing is the framing of one journal file.
type framing struct {
	legacy bool
	// start is the offset of the first edit: after the header, and after
	// the guard in the record framing.
	start int64
	// seed is the records' checksum seed (record framing).
	seed record.Seed
}

// recordFraming returns the record framing of file num whose first record
// is at start.
func recordFraming(num uint64, start int64) framing {
	return framing{start: start, seed: record.FileSeed(Magic, num)}
}

// legacyFraming is the framing of legacy files.
var legacyFraming = framing{legacy: true, start: HeaderSize}

// newFraming returns the framing of a new file num and its bytes after the
// header: the guard frame in the record framing, nothing in the legacy.
func newFraming[E any](num uint64, legacy bool, codec Codec[E]) (framing, []byte) {
	if legacy {
		return legacyFraming, nil
	}
	frame := appendFrame(nil, guardOf(codec))
	return recordFraming(num, HeaderSize+int64(len(frame))), frame
}

// detectFraming returns the framing of data, the whole journal file num,
// whose header is valid. file names it in errors.
func detectFraming(file string, data []byte, num uint64) (framing, error) {
	body, size, problem := decodeFrame(data[HeaderSize:])
	switch {
	case problem == frameOK && bytes.HasSuffix(body, []byte(GuardMarker)):
		return recordFraming(num, HeaderSize+int64(size)), nil
	case problem == frameOK:
		return legacyFraming, nil
	}
	// The first frame does not read: a legacy file torn in its first edit,
	// or a record-framed file whose guard went bad.
	rf := recordFraming(num, HeaderSize)
	if p := record.NextValid(record.File{Data: data, Start: rf.start, Seed: rf.seed}, HeaderSize); p < int64(len(data)) {
		return rf, base.Corruptionf(file, HeaderSize,
			"the guard of the record framing is damaged (%s), but a record follows at offset %d", problem, p)
	}
	return legacyFraming, nil
}

// frameEdit appends to dst the frame of e, to be written at offset off of
// a file of framing fr. The returned slice holds the frame from len(dst)
// on.
func frameEdit[E any](dst []byte, fr framing, off int64, codec Codec[E], e E) ([]byte, error) {
	start := len(dst)
	n := FrameHeaderSize
	if !fr.legacy {
		n = record.HeaderSize
	}
	dst = codec.Encode(append(dst, make([]byte, n)...), e)
	if err := checkBodySize(len(dst) - start - n); err != nil {
		return dst, err
	}
	if fr.legacy {
		finishFrame(dst[start:])
	} else {
		record.Finish(dst[start:], fr.seed, record.TypeData, off)
	}
	return dst, nil
}

// replayFile decodes the header of data (a whole journal file) and passes
// each edit to apply, in the file's framing. file names the file in
// errors.
func replayFile[E any](file string, data []byte, codec Codec[E], apply func(E) error) (Header, framing, replayResult, error) {
	h, err := decodeHeader(file, data)
	if err != nil {
		return h, framing{}, replayResult{}, err
	}
	fr, err := detectFraming(file, data, h.FileNum)
	if err != nil {
		return h, fr, replayResult{end: HeaderSize}, err
	}
	h.Legacy = fr.legacy
	var res replayResult
	if fr.legacy {
		res, err = replayEdits(file, data, codec, apply)
	} else {
		res, err = replayRecords(file, data, fr, codec, apply)
	}
	return h, fr, res, err
}

// replayRecords decodes the records of data, a journal file of the record
// framing fr, and passes each edit to apply. Torn and corrupt are
// record.Scan's; a record whose checksum matches but does not decode or
// apply is corruption, as in the legacy framing.
func replayRecords[E any](file string, data []byte, fr framing, codec Codec[E], apply func(E) error) (replayResult, error) {
	var res replayResult
	f := record.File{Path: file, Data: data, Start: fr.start, Seed: fr.seed}
	r, err := record.Scan(f, func(r record.Record) error {
		if r.Type != record.TypeData {
			return base.Corruptionf(file, r.Offset, "%s record in a journal file", r.Type)
		}
		if err := applyBody(file, r.Offset, res.edits, r.Payload, codec, apply); err != nil {
			return err
		}
		res.edits++
		return nil
	})
	if err != nil {
		return res, err
	}
	res.end, res.torn = r.ValidSize, r.Torn
	if r.Torn {
		res.reason = r.Problem.String()
	}
	return res, nil
}

// salvageRecords is SalvageFile for a file of the record framing fr: every
// edit of a data record whose checksum matches and whose body decodes, in
// file order, and the ranges skipped to the next valid record
// (record.NextValid).
func salvageRecords[E any](path string, data []byte, fr framing, codec Codec[E]) (edits []E, damage []SalvageDamage) {
	f := record.File{Path: path, Data: data, Start: fr.start, Seed: fr.seed}
	off := fr.start
	for off < int64(len(data)) {
		r, size, problem := record.Parse(data[off:], fr.seed)
		reason := problem.String()
		if problem == record.OK && r.Type == record.TypeData {
			e, derr := codec.Decode(r.Payload)
			if derr == nil {
				edits = append(edits, e)
				off += size
				continue
			}
			reason = "edit has a valid checksum but does not decode: " + derr.Error()
		} else if problem == record.OK {
			reason = r.Type.String() + " record in a journal file"
		}
		next := record.NextValid(f, off+1)
		damage = append(damage, SalvageDamage{Offset: off, End: next, Tail: next == int64(len(data)), Reason: reason})
		off = next
	}
	return edits, damage
}
