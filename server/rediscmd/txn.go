package rediscmd

import (
	"errors"

	"github.com/tempestdb/tempest"
)

// Reader is what a Txn reads: an indexed batch over the DB, a snapshot,
// or the DB.
type Reader interface {
	Get(key []byte) ([]byte, error)
	NewIter(o *tempest.IterOptions) (*tempest.Iterator, error)
}

// Txn is the view one command (or one EXEC) has of a keyspace: the Redis
// keys stored under Prefix in a Tempest DB.
//
// A write txn holds an indexed batch (B, also its R): its reads see the
// DB with the batch's own writes over it, and the front end commits the
// whole batch at once. The front end guarantees that no other write of
// the keyspace commits between the txn's reads and its commit (a lock in
// tempest serve; the raft log's order in a cluster shard), so what a txn
// read is still true at its commit.
//
// A read txn (B nil) reads the DB directly, or a snapshot of it when the
// command reads several keys at one moment.
type Txn struct {
	R      Reader
	B      *tempest.Batch
	Prefix []byte // the engine key of Redis key K is Prefix+K
	Now    int64  // Unix ms: the time the command's expiry decisions use
	// Version, if not 0, is stamped on every value the txn writes (the
	// cluster's raft index, for WATCH).
	Version uint64
	// Touched lists the keys this txn modified (for WATCH).
	Touched [][]byte
	// Failed says a command failed in the engine part-way: none of the
	// txn's writes may commit. FailMsg is its error reply, Err the
	// engine's error.
	Failed  bool
	FailMsg string
	Err     error
}

// Key returns the engine key of a Redis key.
func (t *Txn) Key(key []byte) []byte {
	k := make([]byte, 0, len(t.Prefix)+len(key))
	k = append(k, t.Prefix...)
	return append(k, key...)
}

// Bounds returns the engine key range of the keyspace: [lower, upper).
func (t *Txn) Bounds() (lower, upper []byte) {
	lower = append([]byte(nil), t.Prefix...)
	upper = append([]byte(nil), t.Prefix...)
	upper[len(upper)-1]++ // prefixes end below 0xff
	return lower, upper
}

// GetRaw returns the stored entry of key, expired or not.
func (t *Txn) GetRaw(key []byte) (Entry, bool, error) {
	v, err := t.R.Get(t.Key(key))
	if errors.Is(err, tempest.ErrNotFound) {
		return Entry{}, false, nil
	}
	if err != nil {
		return Entry{}, false, err
	}
	e, err := DecodeValue(v)
	if err != nil {
		return Entry{}, false, err
	}
	return e, true, nil
}

// Get returns the live entry of key: an expired one is absent.
func (t *Txn) Get(key []byte) (Entry, bool, error) {
	e, ok, err := t.GetRaw(key)
	if !ok || err != nil || e.ExpiredAt(t.Now) {
		return Entry{}, false, err
	}
	return e, true, nil
}

// Exists reports whether key is live.
func (t *Txn) Exists(key []byte) (bool, error) {
	_, ok, err := t.Get(key)
	return ok, err
}

// Set writes key's value and expiry, stamped with the txn's version.
func (t *Txn) Set(key []byte, e Entry) error {
	e.Ver = t.Version
	if err := t.B.Set(t.Key(key), EncodeValue(e)); err != nil {
		return err
	}
	t.Touch(key)
	return nil
}

// Del deletes key if it is live and reports whether it was.
func (t *Txn) Del(key []byte) (bool, error) {
	ok, err := t.Exists(key)
	if !ok || err != nil {
		return false, err
	}
	if err := t.B.Delete(t.Key(key)); err != nil {
		return false, err
	}
	t.Touch(key)
	return true, nil
}

// Purge writes a tombstone over an expired key (a logical no-op: the key
// was already absent, so nothing is touched).
func (t *Txn) Purge(key []byte) error { return t.B.Delete(t.Key(key)) }

// DeleteAll deletes every key of the keyspace with one range tombstone.
// It touches nothing: the front end touches the watched keys it finds
// alive first, as redis-server's FLUSHDB does.
func (t *Txn) DeleteAll() error {
	lo, hi := t.Bounds()
	return t.B.DeleteRange(lo, hi)
}

// Touch records that key was modified.
func (t *Txn) Touch(key []byte) { t.Touched = append(t.Touched, append([]byte(nil), key...)) }

// Iter iterates over the stored keys (one state of them: an iterator
// reads at one sequence number). Its keys are engine keys: the Redis key
// follows len(Prefix) bytes.
func (t *Txn) Iter() (*tempest.Iterator, error) {
	lo, hi := t.Bounds()
	return t.R.NewIter(&tempest.IterOptions{LowerBound: lo, UpperBound: hi})
}

// Fail marks the txn failed with an engine error (none of its writes
// may commit) and returns the reply text.
func (t *Txn) Fail(err error) string {
	msg := EngineError(err)
	if !t.Failed {
		t.Failed, t.FailMsg, t.Err = true, msg, err
	}
	return msg
}

// EngineError is the reply text of an error from the engine.
func EngineError(err error) string {
	if errors.Is(err, tempest.ErrReadOnly) {
		return "MISCONF the database no longer accepts writes: " + err.Error()
	}
	return "ERR " + err.Error()
}
