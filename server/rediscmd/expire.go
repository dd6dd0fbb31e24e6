package rediscmd

import "time"

// The expiry sweep, redis-server's active expiry over the key order,
// shared by tempest serve (server/expire.go: a write txn under its lock)
// and its cluster (cluster/expire.go: a raft entry per slice, applied on
// every replica). An expired value already reads as absent (Txn.Get),
// but it stays stored, with every older version it hides, until a
// tombstone covers it; compactions then drop the tombstone, the value
// and what it hid. A step finds the expired keys of one slice
// (FindExpired), then writes the tombstones in a txn that re-reads each
// key first (PurgeExpired), so a value written in between is never
// deleted.
const (
	SweepEvery = 100 * time.Millisecond // the period of a sweep step
	SweepSlice = 1000                   // stored entries examined per step
)

// FindExpired lists the keys whose stored value has expired at t.Now
// among up to n stored entries from the Redis key from (nil: the first),
// in key order, and returns where the next step starts (nil: from the
// first key again). If maxBytes > 0, the step also ends once the listed
// keys hold maxBytes bytes (a step lists one key at least), so that a
// list stays small whatever the keys' sizes.
func (t *Txn) FindExpired(from []byte, n, maxBytes int) (expired [][]byte, next []byte, err error) {
	it, err := t.Iter()
	if err != nil {
		return nil, nil, err
	}
	defer it.Close()
	skip := len(t.Prefix)
	size := 0
	valid := it.SeekGE(t.Key(from))
	for i := 0; valid; valid = it.Next() {
		if i == n || (maxBytes > 0 && size >= maxBytes) {
			next = append([]byte(nil), it.Key()[skip:]...)
			break
		}
		i++
		e, derr := DecodeValue(it.Value())
		if derr == nil && e.ExpiredAt(t.Now) {
			k := append([]byte(nil), it.Key()[skip:]...)
			expired = append(expired, k)
			size += len(k)
		}
	}
	return expired, next, it.Error()
}

// Purged is a key PurgeExpired deleted, and the version of the expired
// value it deleted.
type Purged struct {
	Key []byte
	Ver uint64
}

// PurgeExpired writes a tombstone over each of keys whose stored value,
// re-read in the txn, has expired at t.Now, and returns them. A key
// absent or live now (written since it was listed) is left alone. A
// purge touches nothing: the key already read as absent.
func (t *Txn) PurgeExpired(keys [][]byte) ([]Purged, error) {
	var out []Purged
	for _, k := range keys {
		e, ok, err := t.GetRaw(k)
		if err != nil {
			return out, err
		}
		if !ok || !e.ExpiredAt(t.Now) {
			continue
		}
		if err := t.Purge(k); err != nil {
			return out, err
		}
		out = append(out, Purged{Key: k, Ver: e.Ver})
	}
	return out, nil
}
