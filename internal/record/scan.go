package record

import (
	"github.com/tempestdb/tempest/internal/base"
)

// File is the content of one log file, as the classifier sees it.
type File struct {
	// Path names the file in errors.
	Path string
	// Data is the whole file.
	Data []byte
	// Start is the offset of the first record (the file header's size).
	Start int64
	// Seed is the file's checksum seed.
	Seed Seed
}

// Result describes what Scan read.
type Result struct {
	// Records is the number of records passed to the callback.
	Records int
	// End is true if a valid end record closes the file.
	End bool
	// ValidSize is the offset just past the last valid record (Start if
	// none): where a torn tail starts, if any.
	ValidSize int64
	// Torn is true if the bytes from ValidSize on were dropped as a torn
	// tail; Problem says why the record at ValidSize does not read.
	Torn    bool
	Problem Problem
}

// Scan reads the records of f in order and calls fn for each valid one,
// end record included, applying the rules of doc.go: a torn tail is not an
// error (Result.Torn); damage to records that were durable, and records
// that break the framing's rules, are errors matching base.ErrCorruption
// that name f.Path and the offset. An error of fn stops the scan and is
// returned as is. The payloads alias f.Data.
func Scan(f File, fn func(Record) error) (Result, error) {
	res := Result{ValidSize: f.Start}
	off, prevSynced := f.Start, f.Start
	for off < int64(len(f.Data)) {
		r, size, problem := Parse(f.Data[off:], f.Seed)
		if problem != OK {
			if err := Classify(f, off, problem); err != nil {
				return res, err
			}
			res.Torn, res.Problem = true, problem
			return res, nil
		}
		r.Offset = off
		if err := checkTrusted(f, r, prevSynced); err != nil {
			return res, err
		}
		if err := fn(r); err != nil {
			return res, err
		}
		res.Records++
		prevSynced = r.Synced
		off += size
		res.ValidSize = off
		if r.Type == TypeEnd {
			if off != int64(len(f.Data)) {
				return res, base.Corruptionf(f.Path, off, "%d bytes follow the end record", int64(len(f.Data))-off)
			}
			res.End = true
			return res, nil
		}
	}
	return res, nil
}

// checkTrusted applies rule 3 to r, a record whose crc matches.
func checkTrusted(f File, r Record, prevSynced int64) error {
	switch {
	case !r.Type.Valid():
		return base.Corruptionf(f.Path, r.Offset, "unknown record type %d", uint8(r.Type))
	case r.Synced < prevSynced || r.Synced > r.Offset:
		// The writer's synced offset only grows and never passes the
		// record being written.
		return base.Corruptionf(f.Path, r.Offset, "record claims synced offset %d, want between %d and %d",
			r.Synced, prevSynced, r.Offset)
	case r.Type == TypeEnd && r.Synced != r.Offset:
		return base.Corruptionf(f.Path, r.Offset, "end record claims synced offset %d, not its own", r.Synced)
	}
	return nil
}

// Classify decides what the invalid record at x (which does not read
// because of problem) means, by rule 2 of doc.go: nil if x starts a torn
// tail, an error matching base.ErrCorruption naming f.Path and x if a
// valid record after x says the file was durable past x.
func Classify(f File, x int64, problem Problem) error {
	for p := x + 1; p+HeaderSize <= int64(len(f.Data)); p++ {
		b := f.Data[p:]
		if !Type(b[typeOffset]).Valid() {
			continue
		}
		s := syncedOf(b)
		if s <= x || s > p {
			continue
		}
		if _, _, ok := Parse(b, f.Seed); ok == OK {
			return base.Corruptionf(f.Path, x, "%s, before the record at offset %d, which was written after the file was synced through offset %d",
				problem, p, s)
		}
	}
	return nil
}

// NextValid returns the first offset p >= from holding a valid record of a
// defined type whose synced field lies in [f.Start, p], or len(f.Data) if
// there is none: where a salvage scan resumes after damage.
func NextValid(f File, from int64) int64 {
	for p := from; p+HeaderSize <= int64(len(f.Data)); p++ {
		b := f.Data[p:]
		if !Type(b[typeOffset]).Valid() {
			continue
		}
		if s := syncedOf(b); s < f.Start || s > p {
			continue
		}
		if _, _, ok := Parse(b, f.Seed); ok == OK {
			return p
		}
	}
	return int64(len(f.Data))
}
