package server

import (
	"errors"

	"github.com/tempestdb/tempest"
)

// txn is the view one command (or one EXEC) has of the keyspace.
//
// A write txn holds an indexed batch: its reads see the DB with the
// batch's own writes over it, and commit applies the whole batch with one
// sequence number. Write txns exist only while s.wmu is held, so what a
// write txn reads is still true when it commits: no other write can
// commit between (every write goes through a write txn).
//
// A read txn (b == nil) reads the DB directly, or a snapshot of it when
// the command reads several keys (MGET, EXISTS) and must see them at one
// moment.
type txn struct {
	s   *Server
	r   reader // b, a snapshot or the DB
	b   *tempest.Batch
	now int64 // Unix ms: the time the command's expiry decisions use
	// touched lists the keys this txn modified (for WATCH; FLUSHDB adds
	// the watched keys it found alive).
	touched [][]byte
	// failed says a command failed part-way: none of the txn's writes
	// may commit.
	failed  bool
	failMsg string // its error reply
}

// getRaw returns the stored entry of key, expired or not.
func (t *txn) getRaw(key []byte) (entry, bool, error) {
	sk := storeKey(key)
	v, err := t.r.Get(sk)
	if errors.Is(err, tempest.ErrNotFound) {
		return entry{}, false, nil
	}
	if err != nil {
		return entry{}, false, err
	}
	e, err := decodeValue(v)
	if err != nil {
		return entry{}, false, err
	}
	return e, true, nil
}

// get returns the live entry of key: an expired one is absent.
func (t *txn) get(key []byte) (entry, bool, error) {
	e, ok, err := t.getRaw(key)
	if !ok || err != nil || e.expiredAt(t.now) {
		return entry{}, false, err
	}
	return e, true, nil
}

// exists reports whether key is live.
func (t *txn) exists(key []byte) (bool, error) {
	_, ok, err := t.get(key)
	return ok, err
}

func (t *txn) set(key []byte, e entry) error {
	if err := t.b.Set(storeKey(key), encodeValue(e)); err != nil {
		return err
	}
	t.touch(key)
	return nil
}

// del deletes key if it is live and reports whether it was.
func (t *txn) del(key []byte) (bool, error) {
	ok, err := t.exists(key)
	if !ok || err != nil {
		return false, err
	}
	if err := t.b.Delete(storeKey(key)); err != nil {
		return false, err
	}
	t.touch(key)
	return true, nil
}

// purge writes a tombstone over an expired key (a logical no-op: the key
// was already absent, so no watcher is touched).
func (t *txn) purge(key []byte) error { return t.b.Delete(storeKey(key)) }

// flush deletes every key with one range tombstone. The watched keys it
// finds alive count as modified, as redis-server's FLUSHDB touches them.
func (t *txn) flush() error {
	for _, k := range t.s.watches.keys() {
		ok, err := t.exists(k)
		if err != nil {
			return err
		}
		if ok {
			t.touch(k)
		}
	}
	return t.b.DeleteRange(keyLower, keyUpper)
}

func (t *txn) touch(key []byte) { t.touched = append(t.touched, append([]byte(nil), key...)) }

// iter iterates over the stored keys (one state of them: an iterator
// reads at one sequence number).
func (t *txn) iter() (*tempest.Iterator, error) {
	return t.r.NewIter(&tempest.IterOptions{LowerBound: keyLower, UpperBound: keyUpper})
}

// reader is what a txn reads: an indexed batch over the DB, a snapshot,
// or the DB.
type reader interface {
	Get(key []byte) ([]byte, error)
	NewIter(o *tempest.IterOptions) (*tempest.Iterator, error)
}
