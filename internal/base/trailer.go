package base

import "fmt"

// TrailerLen is the encoded size of a trailer.
const TrailerLen = 8

// Trailer packs a sequence number and a kind: seqnum<<8 | kind. It is
// stored little-endian.
type Trailer uint64

// TrailerMax sorts before every other trailer of the same user key.
const TrailerMax = Trailer(uint64(SeqNumMax)<<8 | uint64(KindMax))

// MakeTrailer packs seq and kind.
func MakeTrailer(seq SeqNum, kind Kind) Trailer {
	return Trailer(uint64(seq)<<8 | uint64(kind))
}

// SeqNum returns the sequence number.
func (t Trailer) SeqNum() SeqNum { return SeqNum(uint64(t) >> 8) }

// Kind returns the kind.
func (t Trailer) Kind() Kind { return Kind(uint8(t)) }

func (t Trailer) String() string { return fmt.Sprintf("%s,%s", t.SeqNum(), t.Kind()) }
