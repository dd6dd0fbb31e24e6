package tempest

import "github.com/tempestdb/tempest/internal/batchrepr"

// The decoder of committed batches lives in internal/batchrepr, which the
// repair package shares; these names keep the engine's call sites short.

// batchEntry is one decoded entry; Key and Value alias the batch buffer.
type batchEntry = batchrepr.Entry

// decodedBatch is a committed batch read back from its encoding.
type decodedBatch struct{ batchrepr.Batch }

// decodeBatch validates the header of an encoded batch. Entries are
// decoded lazily by forEach, which validates each one.
func decodeBatch(data []byte) (decodedBatch, error) {
	b, err := batchrepr.Decode(data)
	return decodedBatch{b}, err
}

// forEach calls fn for each entry (batchrepr.Batch.ForEach).
func (d decodedBatch) forEach(fn func(e batchEntry) error) error { return d.ForEach(fn) }
