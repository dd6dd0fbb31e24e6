package tempest

import (
	"encoding/binary"
	"time"
)

// VisibilityFilter hides entries from reads and lets compactions drop them: the
// visibility filter of tempest-kv's StorageStrategy, used for TTL expiry
// and MVCC garbage collection.
//
// Keep is asked about values (never tombstones). An entry it rejects is
// treated as if it had never been written: reads skip it (an older version
// may show through), and a compaction drops it once no open snapshot can
// see it. Keep must be deterministic for a given entry, apart from a
// dependence on time that only ever moves from keep to drop (an expiry).
type VisibilityFilter interface {
	Keep(e VisibilityEntry) bool
}

// VisibilityEntry is what a VisibilityFilter decides about. Key and Value are valid only
// during the call to Keep (they may point into cached blocks, which are
// reused afterwards): copy them to keep them.
type VisibilityEntry struct {
	Key, Value []byte
	SeqNum     uint64
	// Version is the number of versions of the key's prefix (distinct user
	// keys under a Comparer with a version suffix) that precede this one in
	// the Comparer's order and are kept. A read that yields one entry per
	// prefix sees Version 0 for the entry it yields; Get of an older version
	// sees its rank.
	Version int
}

// TTLFilter hides values older than TTL. The write time of a value is read
// by Timestamp; the default reads the first 8 bytes of the value as a
// big-endian count of Unix nanoseconds (values shorter than that never
// expire). Time comes from Clock (default: the system clock).
type TTLFilter struct {
	TTL   time.Duration
	Clock Clock
	// Timestamp reads the write time; key and value are valid only during
	// the call.
	Timestamp func(key, value []byte) (time.Time, bool)
}

// Keep reports whether the value is younger than the TTL.
func (f *TTLFilter) Keep(e VisibilityEntry) bool {
	ts := f.Timestamp
	if ts == nil {
		ts = ValuePrefixTimestamp
	}
	t, ok := ts(e.Key, e.Value)
	if !ok {
		return true
	}
	var now time.Time
	if f.Clock != nil {
		now = f.Clock.Now()
	} else {
		now = time.Now()
	}
	return now.Sub(t) < f.TTL
}

// ValuePrefixTimestamp reads a value's first 8 bytes as big-endian Unix
// nanoseconds.
func ValuePrefixTimestamp(_, value []byte) (time.Time, bool) {
	if len(value) < 8 {
		return time.Time{}, false
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(value))), true
}

// KeepVersionsFilter keeps the N newest versions of each prefix (under a
// Comparer with a version suffix, such as FixedSuffixComparer) and hides
// older ones, which compactions then drop. Which versions count as newest
// follows the Comparer's order and the versions visible at the read; as
// newer versions are written, older ones pass out of the N and may be
// dropped at any time.
type KeepVersionsFilter struct {
	N int
}

// Keep reports whether the version is among the N newest.
func (f *KeepVersionsFilter) Keep(e VisibilityEntry) bool { return e.Version < f.N }
