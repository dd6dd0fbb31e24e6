package tempest

import (
	"bytes"
	"errors"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
)

// FuzzDecodeBatch feeds arbitrary bytes to decodeBatch and forEach, the
// decoder of every WAL record's payload. Properties:
//   - neither panics, and every error matches ErrCorruption;
//   - forEach yields at most Count entries, and the work it does is
//     bounded by the input (entries alias the input);
//   - a batch that decodes completely re-encodes, through Batch.Set and
//     Batch.Delete and the same seqnum, to bytes that decode to the same
//     entries, and no longer than the input. (Not always to the same
//     bytes: a length may be a non-minimal uvarint, such as 0x80 0x00 for
//     0, which binary.Uvarint accepts. Payloads are checksummed in the WAL,
//     so this only means the decoder is lenient.)
//
// The seed corpus runs with go test; fuzz with
// go test -run XXX -fuzz FuzzDecodeBatch.
func FuzzDecodeBatch(f *testing.F) {
	lim := &limits{maxKey: 1 << 20, maxValue: 1 << 30, maxBatch: 1 << 30}
	valid := newBatch(lim)
	valid.Set([]byte("key"), []byte("value"))
	valid.Delete([]byte("gone"))
	valid.Set(nil, nil)
	valid.stamp(base.SeqNum(42))
	f.Add(valid.data)
	empty := newBatch(lim)
	empty.stamp(base.SeqNum(16))
	f.Add(empty.data)
	f.Add([]byte{})
	f.Add(make([]byte, batchHeaderLen))
	f.Add(append(append([]byte{}, valid.data...), 0))
	f.Add(valid.data[:len(valid.data)-1])
	f.Add([]byte("\x10\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x01\xff\xff\xff\xff\x0f"))
	f.Add([]byte("\xff\xff\xff\xff\xff\xff\xff\xff\x01\x00\x00\x00\x00\x00"))

	f.Fuzz(func(t *testing.T, data []byte) {
		db, err := decodeBatch(data)
		if err != nil {
			if !errors.Is(err, ErrCorruption) {
				t.Fatalf("decodeBatch: %v does not match ErrCorruption", err)
			}
			return
		}
		re := newBatch(lim)
		n := 0
		err = db.forEach(func(e batchEntry) error {
			n++
			if uint32(n) > db.Count {
				t.Fatalf("more than Count=%d entries", db.Count)
			}
			if e.Kind == base.KindSet {
				return re.Set(e.Key, e.Value)
			}
			return re.Delete(e.Key)
		})
		if err != nil {
			if !errors.Is(err, ErrCorruption) && !errors.Is(err, ErrInvalidArgument) {
				t.Fatalf("forEach: %v matches neither ErrCorruption nor ErrInvalidArgument", err)
			}
			return
		}
		if uint32(n) != db.Count {
			t.Fatalf("forEach yielded %d entries, Count is %d", n, db.Count)
		}
		re.stamp(db.Seq)
		if len(re.data) > len(data) {
			t.Fatalf("re-encoding is longer: %d > %d bytes", len(re.data), len(data))
		}
		if !bytes.Equal(re.data[:batchHeaderLen], data[:batchHeaderLen]) {
			t.Fatalf("header re-encodes differently: %x, want %x", re.data[:batchHeaderLen], data[:batchHeaderLen])
		}
		var want []batchEntry
		db.forEach(func(e batchEntry) error { want = append(want, e); return nil })
		rd, err := decodeBatch(re.data)
		if err != nil {
			t.Fatalf("re-encoded batch does not decode: %v", err)
		}
		i := 0
		if err := rd.forEach(func(e batchEntry) error {
			w := want[i]
			i++
			if e.Kind != w.Kind || !bytes.Equal(e.Key, w.Key) || !bytes.Equal(e.Value, w.Value) {
				t.Fatalf("entry %d re-decodes as %v, want %v", i-1, e, w)
			}
			return nil
		}); err != nil || i != len(want) {
			t.Fatalf("re-encoded batch: %d of %d entries: %v", i, len(want), err)
		}
	})
}
