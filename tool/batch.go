package tool

import (
	"encoding/binary"
	"fmt"

	"github.com/tempestdb/tempest/internal/base"
)

// A WAL data record's payload is one committed batch, encoded as the root
// package's batch.go documents:
//
//	+-----------------+--------------+------------------------------+
//	| seqnum u64 LE   | count u32 LE | entries ...                  |
//	+-----------------+--------------+------------------------------+
//	entry := kind u8 | uvarint(len(key)) key [| uvarint(len(value)) value]
//
// A Set entry has a key and a value, a Delete entry only a key, and a
// RangeDelete entry a start key and an end key (in the value's place). This
// decoder is the inspection tool's own, independent of the engine's, so
// that a dump shows the bytes as they are even where the engine would
// reject them.
const batchHeaderLen = 12

// batchEntry is one decoded entry; Key and Value alias the payload.
type batchEntry struct {
	Kind       base.Kind
	Key, Value []byte
}

// decodedBatch is a decoded batch payload.
type decodedBatch struct {
	Seq     uint64
	Count   uint32
	Entries []batchEntry
}

// decodeBatch decodes a batch payload. It checks that the entries are
// well formed, of known kinds, as many as the header says, and that no
// bytes follow them; the error gives the offset within the payload.
func decodeBatch(p []byte) (decodedBatch, error) {
	var b decodedBatch
	if len(p) < batchHeaderLen {
		return b, fmt.Errorf("batch of %d bytes is shorter than its %d-byte header", len(p), batchHeaderLen)
	}
	b.Seq = binary.LittleEndian.Uint64(p[0:8])
	b.Count = binary.LittleEndian.Uint32(p[8:12])
	off := batchHeaderLen
	for off < len(p) {
		start := off
		e := batchEntry{Kind: base.Kind(p[off])}
		off++
		if !e.Kind.Valid() && e.Kind != base.KindRangeDelete {
			return b, fmt.Errorf("entry %d at offset %d: unknown kind %d", len(b.Entries), start, uint8(e.Kind))
		}
		var err error
		if e.Key, off, err = readVarstring(p, off); err != nil {
			return b, fmt.Errorf("entry %d at offset %d: key: %v", len(b.Entries), start, err)
		}
		if e.Kind != base.KindDelete {
			if e.Value, off, err = readVarstring(p, off); err != nil {
				return b, fmt.Errorf("entry %d at offset %d: value: %v", len(b.Entries), start, err)
			}
		}
		b.Entries = append(b.Entries, e)
	}
	if uint64(len(b.Entries)) != uint64(b.Count) {
		return b, fmt.Errorf("header counts %d entries, payload holds %d", b.Count, len(b.Entries))
	}
	return b, nil
}

// readVarstring reads a uvarint length and that many bytes at p[off:].
func readVarstring(p []byte, off int) ([]byte, int, error) {
	n, w := binary.Uvarint(p[off:])
	if w <= 0 {
		return nil, off, fmt.Errorf("bad length varint at offset %d", off)
	}
	off += w
	if n > uint64(len(p)-off) {
		return nil, off, fmt.Errorf("length %d at offset %d overruns the %d-byte payload", n, off-w, len(p))
	}
	end := off + int(n)
	return p[off:end:end], end, nil
}
