package benchmark

import (
	"encoding/binary"
	"math/rand/v2"

	"github.com/tempestdb/tempest/internal/benchvalues"
)

// Key layout (every key is exactly KeySize bytes):
//
//	+-----+----------------------+------------------+
//	| tag | '0' filler           | number u64 BE    |
//	+-----+----------------------+------------------+
//	  1     KeySize-9              8
//
// Keys of one tag sort by number. Tag 'k' is the main key space: key
// number n is stored at slot 2n, so the odd slots between stored keys are
// misses that file bounds cannot rule out (readrandom reads them). Tag 'q'
// holds the queues of the queue workload.
const (
	tagMain  = 'k'
	tagQueue = 'q'
)

type keyFormat struct{ size int }

// appendKey appends the key of tag and slot to dst[:0].
func (f keyFormat) appendKey(dst []byte, tag byte, slot uint64) []byte {
	dst = append(dst[:0], tag)
	for len(dst) < f.size-8 {
		dst = append(dst, '0')
	}
	return binary.BigEndian.AppendUint64(dst, slot)
}

// main returns the key of main-space key number n.
func (f keyFormat) main(dst []byte, n uint64) []byte { return f.appendKey(dst, tagMain, 2*n) }

// missing returns a main-space key that is never written, just after key
// number n.
func (f keyFormat) missing(dst []byte, n uint64) []byte { return f.appendKey(dst, tagMain, 2*n+1) }

// number decodes the slot of a key made by appendKey.
func (f keyFormat) number(key []byte) uint64 {
	if len(key) < 8 {
		return 0
	}
	return binary.BigEndian.Uint64(key[len(key)-8:])
}

// valueSource hands out values: slices of a buffer made as db_bench makes
// its values (benchvalues), which compress to about half their size.
type valueSource struct {
	buf  []byte
	size int
}

func newValueSource(seed uint64, size int) *valueSource {
	rng := rand.New(rand.NewPCG(seed, 0x76616c7565))
	return &valueSource{buf: benchvalues.Buffer(rng, max(1<<20, 2*size)), size: size}
}

// value returns a value of the configured size chosen by rng. The slice
// aliases the shared buffer and must not be modified.
func (s *valueSource) value(rng *rand.Rand) []byte {
	off := rng.IntN(len(s.buf) - s.size + 1)
	return s.buf[off : off+s.size : off+s.size]
}
