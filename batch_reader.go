package tempest

import (
	"encoding/binary"

	"github.com/tempestdb/tempest/internal/base"
)

// batchEntry is one decoded entry; Key and Value alias the batch buffer.
type batchEntry struct {
	Kind  base.Kind
	Key   []byte
	Value []byte
}

// decodedBatch is a committed batch read back from its encoding.
type decodedBatch struct {
	Seq     base.SeqNum
	Count   uint32
	entries []byte
}

// decodeBatch validates the header of an encoded batch. Entries are
// decoded lazily by forEach, which validates each one.
func decodeBatch(data []byte) (decodedBatch, error) {
	if len(data) < batchHeaderLen {
		return decodedBatch{}, errBatch("batch of %d bytes is shorter than its header", len(data))
	}
	d := decodedBatch{
		Seq:     base.SeqNum(binary.LittleEndian.Uint64(data[0:8])),
		Count:   binary.LittleEndian.Uint32(data[8:12]),
		entries: data[batchHeaderLen:],
	}
	if !d.Seq.Valid() {
		return decodedBatch{}, errBatch("seqnum %d exceeds 56 bits", uint64(d.Seq))
	}
	// Each entry takes at least 2 bytes (kind + key length).
	if uint64(d.Count)*2 > uint64(len(d.entries)) {
		return decodedBatch{}, errBatch("count %d too large for %d bytes", d.Count, len(d.entries))
	}
	return d, nil
}

// forEach calls fn for each entry. It returns an error if the encoding is
// malformed: a bad kind, a length past the end, trailing bytes, or a count
// that does not match.
func (d decodedBatch) forEach(fn func(e batchEntry) error) error {
	p := d.entries
	for i := uint32(0); i < d.Count; i++ {
		var e batchEntry
		var ok bool
		if len(p) == 0 {
			return errBatch("entry %d of %d missing", i, d.Count)
		}
		e.Kind = base.Kind(p[0])
		p = p[1:]
		if e.Kind != base.KindSet && e.Kind != base.KindDelete && e.Kind != base.KindRangeDelete {
			return errBatch("entry %d has invalid kind %d", i, uint8(e.Kind))
		}
		if e.Key, p, ok = readVarstring(p); !ok {
			return errBatch("entry %d: bad key length", i)
		}
		if e.Kind != base.KindDelete {
			// A Set's value, or a range tombstone's end.
			if e.Value, p, ok = readVarstring(p); !ok {
				return errBatch("entry %d: bad value length", i)
			}
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	if len(p) != 0 {
		return errBatch("%d trailing bytes after %d entries", len(p), d.Count)
	}
	return nil
}

func readVarstring(p []byte) (s, rest []byte, ok bool) {
	n, k := binary.Uvarint(p)
	if k <= 0 || n > uint64(len(p)-k) {
		return nil, nil, false
	}
	end := k + int(n)
	return p[k:end:end], p[end:], true
}

func errBatch(format string, args ...any) error {
	return base.Corruptionf("batch", -1, format, args...)
}
