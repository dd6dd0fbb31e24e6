package base

import (
	"encoding/binary"
	"fmt"
)

// InternalKey is a user key with its trailer.
type InternalKey struct {
	UserKey []byte
	Trailer Trailer
}

// MakeInternalKey builds an internal key.
func MakeInternalKey(userKey []byte, seq SeqNum, kind Kind) InternalKey {
	return InternalKey{UserKey: userKey, Trailer: MakeTrailer(seq, kind)}
}

// MakeSearchKey returns the internal key that sorts before every version of
// userKey visible at snapshot seq (entries with seqnum <= seq).
func MakeSearchKey(userKey []byte, seq SeqNum) InternalKey {
	return InternalKey{UserKey: userKey, Trailer: MakeTrailer(seq, KindMax)}
}

// SeqNum returns the key's sequence number.
func (k InternalKey) SeqNum() SeqNum { return k.Trailer.SeqNum() }

// Kind returns the key's kind.
func (k InternalKey) Kind() Kind { return k.Trailer.Kind() }

// IsExclusiveSentinel reports whether k is the exclusive upper bound a
// range tombstone gives a table or file: the tombstone's end with seqnum
// SeqNumMax and kind KindRangeDelete. The table holds nothing at or after
// k.UserKey.
func (k InternalKey) IsExclusiveSentinel() bool {
	return k.Trailer == MakeTrailer(SeqNumMax, KindRangeDelete)
}

// EncodedLen is the size of the encoded key.
func (k InternalKey) EncodedLen() int { return len(k.UserKey) + TrailerLen }

// Encode writes the user key then the trailer (u64 LE) into buf, which must
// hold EncodedLen bytes, and returns the bytes written.
func (k InternalKey) Encode(buf []byte) int {
	n := copy(buf, k.UserKey)
	binary.LittleEndian.PutUint64(buf[n:], uint64(k.Trailer))
	return n + TrailerLen
}

// Append appends the encoded key to dst.
func (k InternalKey) Append(dst []byte) []byte {
	dst = append(dst, k.UserKey...)
	return binary.LittleEndian.AppendUint64(dst, uint64(k.Trailer))
}

// DecodeInternalKey splits an encoded internal key. The user key aliases b.
// ok is false when b is shorter than a trailer.
func DecodeInternalKey(b []byte) (k InternalKey, ok bool) {
	n := len(b) - TrailerLen
	if n < 0 {
		return InternalKey{}, false
	}
	return InternalKey{UserKey: b[:n:n], Trailer: Trailer(binary.LittleEndian.Uint64(b[n:]))}, true
}

// Clone returns a copy that owns its user key.
func (k InternalKey) Clone() InternalKey {
	return InternalKey{UserKey: append([]byte(nil), k.UserKey...), Trailer: k.Trailer}
}

func (k InternalKey) String() string { return fmt.Sprintf("%q%s", k.UserKey, k.Trailer) }

// Pretty formats k with the comparer's key formatter.
func (k InternalKey) Pretty(c *Comparer) string {
	return fmt.Sprintf("%s%s", c.Format(k.UserKey), k.Trailer)
}
