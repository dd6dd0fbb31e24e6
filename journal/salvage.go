package journal

import (
	"github.com/tempestdb/tempest/vfs"
)

// SalvageDamage is a byte range of a journal file holding no valid edit.
type SalvageDamage struct {
	// Offset and End delimit the range: [Offset, End).
	Offset, End int64
	// Tail is true when no valid edit follows (End is the file size):
	// a torn append when it is the only damage.
	Tail bool
	// Reason says why the bytes at Offset are not an edit.
	Reason string
}

// SalvageFile decodes the journal file at path for repair, without
// applying its edits: unlike ReadFile, which stops at the first damaged
// frame, it skips each damaged range to the next valid frame (one whose
// length fits, whose checksum matches and whose body decodes, as replay
// looks for one) and returns every edit it can read, in file order, with
// the ranges it skipped. A frame whose checksum matches but whose body
// does not decode is skipped as damage too. An invalid header is an
// error matching base.ErrCorruption, as is a failed read.
func SalvageFile[E any](fs vfs.FS, path string, codec Codec[E]) (header Header, edits []E, damage []SalvageDamage, err error) {
	data, err := readAll(fs, path)
	if err != nil {
		return Header{}, nil, nil, err
	}
	if header, err = decodeHeader(path, data); err != nil {
		return Header{}, nil, nil, err
	}
	fr, ferr := detectFraming(path, data, header.FileNum)
	header.Legacy = fr.legacy
	if !fr.legacy {
		// A damaged guard (ferr) is the first range salvageRecords skips.
		edits, damage = salvageRecords(path, data, fr, codec)
		if ferr != nil && len(damage) > 0 && damage[0].Offset == HeaderSize {
			damage[0].Reason = ferr.Error()
		}
		return header, edits, damage, nil
	}
	off := HeaderSize
	for off < len(data) {
		body, size, problem := decodeFrame(data[off:])
		reason := problem.String()
		if problem == frameOK {
			e, derr := codec.Decode(body)
			if derr == nil {
				edits = append(edits, e)
				off += size
				continue
			}
			reason = "edit has a valid checksum but does not decode: " + derr.Error()
		}
		next, ok := findValidFrame(data, off+1, codec)
		if !ok {
			next = len(data)
		}
		damage = append(damage, SalvageDamage{Offset: int64(off), End: int64(next), Tail: !ok, Reason: reason})
		off = next
	}
	return header, edits, damage, nil
}
