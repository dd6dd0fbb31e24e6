package raftstore

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/tempestdb/tempest"
)

// ErrKeyNotFound is returned by Get and GetUint64 for a key never set. Its
// text is exactly "not found", which hashicorp/raft compares against (see
// the package doc); errors.Is(ErrKeyNotFound, tempest.ErrNotFound) holds.
var ErrKeyNotFound error = notFoundError{}

type notFoundError struct{}

func (notFoundError) Error() string { return "not found" }

// Is makes the error match tempest.ErrNotFound.
func (notFoundError) Is(target error) bool { return target == tempest.ErrNotFound }

// Set implements raft.StableStore: key=val, synced.
func (s *Store) Set(key, val []byte) error {
	return s.db.Set(s.key(spaceStable, key), val, tempest.Sync)
}

// Get implements raft.StableStore: the value of key (a copy), or
// ErrKeyNotFound.
func (s *Store) Get(key []byte) ([]byte, error) {
	v, err := s.db.Get(s.key(spaceStable, key))
	if errors.Is(err, tempest.ErrNotFound) {
		return nil, ErrKeyNotFound
	}
	if err != nil {
		return nil, err
	}
	if v == nil {
		v = []byte{}
	}
	return v, nil
}

// SetUint64 implements raft.StableStore: key=val as 8 bytes big-endian,
// synced. Get of the same key returns those bytes.
func (s *Store) SetUint64(key []byte, val uint64) error {
	return s.Set(key, binary.BigEndian.AppendUint64(nil, val))
}

// GetUint64 implements raft.StableStore: the value SetUint64 stored, or
// 0 and ErrKeyNotFound.
func (s *Store) GetUint64(key []byte) (uint64, error) {
	v, err := s.Get(key)
	if err != nil {
		return 0, err
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("raftstore: stable key %q holds %d bytes, not a uint64: %w", key, len(v), tempest.ErrInvalidArgument)
	}
	return binary.BigEndian.Uint64(v), nil
}
