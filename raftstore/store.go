package raftstore

import (
	"encoding/binary"
	"sync"

	"github.com/hashicorp/raft"

	"github.com/tempestdb/tempest"
)

// Key spaces under a Store's prefix.
const (
	spaceLog    = 'l'
	spaceMeta   = 'm'
	spaceStable = 's'
)

// metaFirst names the floor record: no log entry has an index below the
// uvarint it holds. DeleteRange raises it when it deletes the front of
// the log; StoreLogs lowers it when it stores below it. New starts its
// search for the first entry there instead of walking the deleted
// entries a range tombstone still covers.
var metaFirst = []byte("first")

// Store is a raft.LogStore and raft.StableStore over one key prefix of a
// Tempest DB. It is safe for concurrent use. It does not own the DB:
// close the DB after the raft node using the Store has shut down.
type Store struct {
	db     *tempest.DB
	prefix []byte

	// mu serializes writes with the cached bounds of the log, so that a
	// reader never sees bounds that a concurrent write has made stale.
	mu struct {
		sync.RWMutex
		// first and last are the smallest and largest index holding an
		// entry, both 0 when the log is empty. Invariant: they equal what
		// a scan of the log key space would find.
		first, last uint64
		// floor is the value of the meta floor record.
		floor uint64
	}
}

var (
	_ raft.LogStore    = (*Store)(nil)
	_ raft.StableStore = (*Store)(nil)
)

// New returns the Store of prefix in db, reading the bounds of its log.
// An empty prefix gives the Store the whole key space.
func New(db *tempest.DB, prefix []byte) (*Store, error) {
	s := &Store{db: db, prefix: append([]byte{}, prefix...)}
	if err := s.loadBounds(); err != nil {
		return nil, err
	}
	return s, nil
}

// key returns prefix + space + suffix.
func (s *Store) key(space byte, suffix []byte) []byte {
	k := make([]byte, 0, len(s.prefix)+1+len(suffix))
	k = append(k, s.prefix...)
	k = append(k, space)
	return append(k, suffix...)
}

// logKey returns the key of log entry index.
func (s *Store) logKey(index uint64) []byte {
	return s.key(spaceLog, binary.BigEndian.AppendUint64(nil, index))
}

// logSpaceEnd returns the first key past the log key space.
func (s *Store) logSpaceEnd() []byte { return s.key(spaceLog+1, nil) }

// indexOf returns the index of log key k.
func (s *Store) indexOf(k []byte) uint64 {
	return binary.BigEndian.Uint64(k[len(s.prefix)+1:])
}
