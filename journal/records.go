package journal

import (
	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/record"
)

// Edits in the record framing (package internal/record), the framing of
// files whose header holds RecordMagic. Each edit is one data record; its
// checksum is seeded by the header (record.FileSeed(RecordMagic, file
// number)); its synced field is its own offset, because every append is
// fsynced before the next is written. So by the record framing's rules a
// damaged record followed by any valid record is corruption, and one
// followed by none is a torn tail: the journal's rule, as in the legacy
// framing (replay.go). A file of the record framing holds no end record.

// prefixSize is the size of the prefix in front of each edit body in a
// file of the framing h says.
func prefixSize(h Header) int {
	if h.Legacy {
		return FrameHeaderSize
	}
	return record.HeaderSize
}

// frameEdit appends to dst the frame of e, to be written at offset off of
// the file h heads. The returned slice holds the frame from len(dst) on.
func frameEdit[E any](dst []byte, h Header, off int64, codec Codec[E], e E) ([]byte, error) {
	start := len(dst)
	n := prefixSize(h)
	dst = codec.Encode(append(dst, make([]byte, n)...), e)
	if err := checkBodySize(len(dst) - start - n); err != nil {
		return dst, err
	}
	if h.Legacy {
		finishFrame(dst[start:])
	} else {
		record.Finish(dst[start:], h.seed(), record.TypeData, off)
	}
	return dst, nil
}

// replayFile decodes the header of data (a whole journal file) and passes
// each edit to apply, in the file's framing. file names the file in
// errors.
func replayFile[E any](file string, data []byte, codec Codec[E], apply func(E) error) (Header, replayResult, error) {
	h, err := decodeHeader(file, data)
	if err != nil {
		return h, replayResult{}, err
	}
	var res replayResult
	if h.Legacy {
		res, err = replayEdits(file, data, codec, apply)
	} else {
		res, err = replayRecords(file, data, h.seed(), codec, apply)
	}
	return h, res, err
}

// replayRecords decodes the records of data, a journal file of the record
// framing, from HeaderSize on and passes each edit to apply. Torn and
// corrupt are record.Scan's; a record whose checksum matches but does not
// decode or apply is corruption, as in the legacy framing.
func replayRecords[E any](file string, data []byte, seed record.Seed, codec Codec[E], apply func(E) error) (replayResult, error) {
	var res replayResult
	f := record.File{Path: file, Data: data, Start: HeaderSize, Seed: seed}
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

// salvageRecords is SalvageFile for a file of the record framing: every
// edit of a data record whose checksum matches and whose body decodes, in
// file order, and the ranges skipped to the next valid record
// (record.NextValid).
func salvageRecords[E any](path string, data []byte, seed record.Seed, codec Codec[E]) (edits []E, damage []SalvageDamage) {
	f := record.File{Path: path, Data: data, Start: HeaderSize, Seed: seed}
	off := int64(HeaderSize)
	for off < int64(len(data)) {
		r, size, problem := record.Parse(data[off:], seed)
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
