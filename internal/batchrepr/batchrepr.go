// Package batchrepr decodes the encoding of a committed write batch, the
// payload of a WAL data record. The root package encodes batches
// (batch.go) and replays them through this decoder; the repair package
// reads WALs with it.
//
// Encoding:
//
//	+-----------------+--------------+------------------------------+
//	| seqnum u64 LE   | count u32 LE | entries ...                  |
//	+-----------------+--------------+------------------------------+
//	entry := kind u8 | uvarint(len(key)) key [| uvarint(len(value)) value]
//
// A Set entry has a key and a value, a Merge entry a key and an operand
// (in the value's place), a Delete entry only a key, and a RangeDelete
// entry a start key and an end key (in the value's place).
// Every entry carries the batch's seqnum; when a batch names a key twice,
// the later entry wins.
package batchrepr

import (
	"encoding/binary"
	"fmt"

	"github.com/tempestdb/tempest/internal/base"
)

// HeaderLen is the size of the batch header: seqnum u64, count u32.
const HeaderLen = 12

// Entry is one decoded entry; Key and Value alias the batch buffer.
type Entry struct {
	Kind  base.Kind
	Key   []byte
	Value []byte
}

// Batch is a committed batch read back from its encoding.
type Batch struct {
	Seq     base.SeqNum
	Count   uint32
	entries []byte
}

// Decode validates the header of an encoded batch. Entries are decoded
// lazily by ForEach, which validates each one. Errors match
// base.ErrCorruption.
func Decode(data []byte) (Batch, error) {
	if len(data) < HeaderLen {
		return Batch{}, errBatch("batch of %d bytes is shorter than its header", len(data))
	}
	d := Batch{
		Seq:     base.SeqNum(binary.LittleEndian.Uint64(data[0:8])),
		Count:   binary.LittleEndian.Uint32(data[8:12]),
		entries: data[HeaderLen:],
	}
	if !d.Seq.Valid() {
		return Batch{}, errBatch("seqnum %d exceeds 56 bits", uint64(d.Seq))
	}
	// Each entry takes at least 2 bytes (kind + key length).
	if uint64(d.Count)*2 > uint64(len(d.entries)) {
		return Batch{}, errBatch("count %d too large for %d bytes", d.Count, len(d.entries))
	}
	return d, nil
}

// Unstamped returns the Batch of count entries encoded in entries, a
// stretch of a batch that is still being built (whose header is not yet
// stamped). ForEach validates the entries as it does for a committed batch.
func Unstamped(entries []byte, count uint32) Batch {
	return Batch{Count: count, entries: entries}
}

// ForEach calls fn for each entry, in order. It returns an error matching
// base.ErrCorruption if the encoding is malformed: a bad kind, a length
// past the end, trailing bytes, or a count that does not match; fn may
// have been called for the entries before the damage.
func (d Batch) ForEach(fn func(e Entry) error) error {
	p := d.entries
	for i := uint32(0); i < d.Count; i++ {
		if len(p) == 0 {
			return errBatch("entry %d of %d missing", i, d.Count)
		}
		e, rest, bad := DecodeEntry(p)
		if bad != "" {
			return errBatch("entry %d: %s", i, bad)
		}
		p = rest
		if err := fn(e); err != nil {
			return err
		}
	}
	if len(p) != 0 {
		return errBatch("%d trailing bytes after %d entries", len(p), d.Count)
	}
	return nil
}

// DecodeEntry decodes the entry at the start of p and returns it and the
// bytes after it, or a description of what is wrong with it.
func DecodeEntry(p []byte) (e Entry, rest []byte, bad string) {
	var ok bool
	if len(p) == 0 {
		return Entry{}, nil, "missing"
	}
	e.Kind = base.Kind(p[0])
	p = p[1:]
	if !e.Kind.Valid() && e.Kind != base.KindRangeDelete {
		return Entry{}, nil, fmt.Sprintf("invalid kind %d", uint8(e.Kind))
	}
	if e.Key, p, ok = readVarstring(p); !ok {
		return Entry{}, nil, "bad key length"
	}
	if e.Kind != base.KindDelete {
		// A Set's value, a Merge's operand, or a range tombstone's end.
		if e.Value, p, ok = readVarstring(p); !ok {
			return Entry{}, nil, "bad value length"
		}
	}
	return e, p, ""
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
