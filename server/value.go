package server

import (
	"encoding/binary"
	"fmt"

	"github.com/tempestdb/tempest"
)

// The stored form of a key and its value (docs/server.md, "Storage").
//
// A Redis key K is stored under the engine key keyPrefix+K, so that the
// server's keys are one range (FLUSHDB is one range tombstone over it)
// and other ranges stay free for the server's own records.
//
// A value is one tag byte, then, for tagExpiring, the expiry as 8 bytes of
// big-endian Unix milliseconds, then the string's bytes. Each version of
// a key carries its own expiry, so the newest version alone says whether
// the key exists: an expired newest version reads as absent and hides
// every older version (the engine returns only the newest version, and
// the server never looks behind it).
const (
	keyPrefix = 'k'

	tagPlain    byte = 0 // no expiry
	tagExpiring byte = 1 // expiry follows
)

// storeKey returns the engine key of a Redis key.
func storeKey(key []byte) []byte {
	k := make([]byte, 0, len(key)+1)
	k = append(k, keyPrefix)
	return append(k, key...)
}

// keyRange bounds every stored key: [keyLower, keyUpper).
var (
	keyLower = []byte{keyPrefix}
	keyUpper = []byte{keyPrefix + 1}
)

// entry is a decoded value: the string and its expiry (Unix ms; 0 for
// none).
type entry struct {
	val []byte
	exp int64
}

// expiredAt reports whether the entry has expired at now (Unix ms): an
// expiry at or before now, as redis-server's (expire <= now).
func (e entry) expiredAt(now int64) bool { return e.exp != 0 && e.exp <= now }

func encodeValue(e entry) []byte {
	if e.exp == 0 {
		v := make([]byte, 0, 1+len(e.val))
		v = append(v, tagPlain)
		return append(v, e.val...)
	}
	v := make([]byte, 9, 9+len(e.val))
	v[0] = tagExpiring
	binary.BigEndian.PutUint64(v[1:], uint64(e.exp))
	return append(v, e.val...)
}

// decodeValue parses a stored value; the returned entry aliases v.
func decodeValue(v []byte) (entry, error) {
	if len(v) == 0 {
		return entry{}, fmt.Errorf("%w: empty stored value", tempest.ErrCorruption)
	}
	switch v[0] {
	case tagPlain:
		return entry{val: v[1:]}, nil
	case tagExpiring:
		if len(v) < 9 {
			return entry{}, fmt.Errorf("%w: stored value of %d bytes too short for its expiry", tempest.ErrCorruption, len(v))
		}
		exp := int64(binary.BigEndian.Uint64(v[1:9]))
		if exp <= 0 {
			return entry{}, fmt.Errorf("%w: stored expiry %d out of range", tempest.ErrCorruption, exp)
		}
		return entry{val: v[9:], exp: exp}, nil
	default:
		return entry{}, fmt.Errorf("%w: stored value with unknown tag %d (not written by tempest serve)", tempest.ErrCorruption, v[0])
	}
}

// EncodeValue returns the stored form of the string val with expiry exp
// (Unix ms; 0 for none). It is the format the cluster's shards store too.
func EncodeValue(val []byte, exp int64) []byte { return encodeValue(entry{val: val, exp: exp}) }

// DecodeValue parses a stored value into its string (aliasing v) and
// expiry (Unix ms; 0 for none). A malformed value is ErrCorruption.
func DecodeValue(v []byte) (val []byte, exp int64, err error) {
	e, err := decodeValue(v)
	return e.val, e.exp, err
}
