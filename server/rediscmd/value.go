package rediscmd

import (
	"encoding/binary"
	"fmt"

	"github.com/tempestdb/tempest"
)

// The stored form of a value (docs/server.md, "Storage"; the cluster's
// shards store the versioned tags, cluster/format.go).
//
// A value is one tag byte, then the fields the tag names, then the
// string's bytes:
//
//	tag 0  (plain)              the string
//	tag 1  (expiring)           expiry, the string
//	tag 2  (versioned)          version, the string
//	tag 3  (versioned expiring) version, expiry, the string
//
// The expiry is 8 bytes of big-endian Unix milliseconds (> 0), the
// version 8 bytes big-endian (> 0): the raft index of the entry that
// wrote the value, which WATCH compares (cluster). Each version of a key
// carries its own expiry, so the newest version alone says whether the
// key exists: an expired newest version reads as absent and hides every
// older version (the engine returns only the newest version, and no
// reader looks behind it).
const (
	tagPlain             byte = 0
	tagExpiring          byte = 1
	tagVersioned         byte = 2
	tagVersionedExpiring byte = 3
)

// Entry is a decoded value: the string, its expiry (Unix ms; 0 for none)
// and its version (0 for none).
type Entry struct {
	Val []byte
	Exp int64
	Ver uint64
}

// ExpiredAt reports whether the entry has expired at now (Unix ms): an
// expiry at or before now, as redis-server's (expire <= now).
func (e Entry) ExpiredAt(now int64) bool { return e.Exp != 0 && e.Exp <= now }

// EncodeValue returns the stored form of e.
func EncodeValue(e Entry) []byte {
	tag, n := tagPlain, 1
	if e.Ver != 0 {
		tag, n = tagVersioned, n+8
	}
	if e.Exp != 0 {
		tag, n = tag+1, n+8
	}
	v := make([]byte, 1, n+len(e.Val))
	v[0] = tag
	if e.Ver != 0 {
		v = binary.BigEndian.AppendUint64(v, e.Ver)
	}
	if e.Exp != 0 {
		v = binary.BigEndian.AppendUint64(v, uint64(e.Exp))
	}
	return append(v, e.Val...)
}

// DecodeValue parses a stored value; the entry's string aliases v. A
// malformed value is ErrCorruption.
func DecodeValue(v []byte) (Entry, error) {
	if len(v) == 0 {
		return Entry{}, fmt.Errorf("%w: empty stored value", tempest.ErrCorruption)
	}
	tag := v[0]
	if tag > tagVersionedExpiring {
		return Entry{}, fmt.Errorf("%w: stored value with unknown tag %d (not written by tempest serve)", tempest.ErrCorruption, tag)
	}
	var e Entry
	rest := v[1:]
	if tag >= tagVersioned {
		if len(rest) < 8 {
			return Entry{}, fmt.Errorf("%w: stored value of %d bytes too short for its version", tempest.ErrCorruption, len(v))
		}
		if e.Ver = binary.BigEndian.Uint64(rest); e.Ver == 0 {
			return Entry{}, fmt.Errorf("%w: stored version 0", tempest.ErrCorruption)
		}
		rest = rest[8:]
	}
	if tag == tagExpiring || tag == tagVersionedExpiring {
		if len(rest) < 8 {
			return Entry{}, fmt.Errorf("%w: stored value of %d bytes too short for its expiry", tempest.ErrCorruption, len(v))
		}
		if e.Exp = int64(binary.BigEndian.Uint64(rest)); e.Exp <= 0 {
			return Entry{}, fmt.Errorf("%w: stored expiry %d out of range", tempest.ErrCorruption, e.Exp)
		}
		rest = rest[8:]
	}
	e.Val = rest
	return e, nil
}
