package raftstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/hashicorp/raft"

	"github.com/tempestdb/tempest"
)

// FirstIndex implements raft.LogStore: the smallest index holding an
// entry, 0 for an empty log.
func (s *Store) FirstIndex() (uint64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.mu.first, nil
}

// LastIndex implements raft.LogStore: the largest index holding an entry,
// 0 for an empty log.
func (s *Store) LastIndex() (uint64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.mu.last, nil
}

// GetLog implements raft.LogStore: the entry at index, or
// raft.ErrLogNotFound.
func (s *Store) GetLog(index uint64, l *raft.Log) error {
	v, err := s.db.Get(s.logKey(index))
	if errors.Is(err, tempest.ErrNotFound) {
		return raft.ErrLogNotFound
	}
	if err != nil {
		return err
	}
	return decodeLog(index, v, l)
}

// StoreLog implements raft.LogStore: StoreLogs of one entry.
func (s *Store) StoreLog(l *raft.Log) error { return s.StoreLogs([]*raft.Log{l}) }

// StoreLogs implements raft.LogStore: the entries in one synced batch,
// replacing any at the same indexes. The indexes need not follow the log's
// last one.
func (s *Store) StoreLogs(logs []*raft.Log) error {
	if len(logs) == 0 {
		return nil
	}
	b := s.db.NewBatch()
	lo, hi := uint64(math.MaxUint64), uint64(0)
	var val []byte
	for _, l := range logs {
		val = encodeLog(val[:0], l)
		if err := b.Set(s.logKey(l.Index), val); err != nil {
			return err
		}
		lo, hi = min(lo, l.Index), max(hi, l.Index)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	floor := s.mu.floor
	if lo < floor {
		floor = lo
		if err := b.Set(s.key(spaceMeta, metaFirst), binary.AppendUvarint(nil, floor)); err != nil {
			return err
		}
	}
	if _, err := s.db.Apply(b, tempest.Sync); err != nil {
		return s.writeFailedLocked(err)
	}
	s.mu.floor = floor
	if s.mu.first == 0 || lo < s.mu.first {
		s.mu.first = lo
	}
	s.mu.last = max(s.mu.last, hi)
	return nil
}

// DeleteRange implements raft.LogStore: deletes the entries at indexes
// lo through hi inclusive, with one range tombstone, synced.
func (s *Store) DeleteRange(lo, hi uint64) error {
	if lo > hi {
		return nil
	}
	end := s.logSpaceEnd()
	if hi < math.MaxUint64 {
		end = s.logKey(hi + 1)
	}
	b := s.db.NewBatch()
	if err := b.DeleteRange(s.logKey(lo), end); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	floor := s.mu.floor
	if s.mu.first == 0 || lo <= s.mu.first {
		// Nothing is below lo, and lo..hi goes: nothing is below hi+1.
		floor = max(floor, satAdd1(hi))
		if err := b.Set(s.key(spaceMeta, metaFirst), binary.AppendUvarint(nil, floor)); err != nil {
			return err
		}
	}
	if _, err := s.db.Apply(b, tempest.Sync); err != nil {
		return s.writeFailedLocked(err)
	}
	s.mu.floor = floor
	return s.afterDeleteLocked(lo, hi)
}

// afterDeleteLocked updates the cached bounds after lo..hi was deleted,
// reading from the DB only past the deleted range.
func (s *Store) afterDeleteLocked(lo, hi uint64) error {
	first, last := s.mu.first, s.mu.last
	var err error
	switch {
	case first == 0 || hi < first || lo > last || (lo > first && hi < last):
		return nil // the bounds are untouched
	case lo <= first && hi >= last:
		first, last = 0, 0
	case lo <= first:
		// In a contiguous log (raft's usual one) hi+1 holds the new first
		// entry: a point read, before a scan past range tombstones.
		var ok bool
		if ok, err = s.hasLog(hi + 1); err == nil && ok {
			first = hi + 1
		} else if err == nil {
			first, _, err = s.scanBounds(s.logKey(hi+1), s.logSpaceEnd(), true, false)
		}
	default: // hi >= last, lo > first
		var ok bool
		if ok, err = s.hasLog(lo - 1); err == nil && ok {
			last = lo - 1
		} else if err == nil {
			_, last, err = s.scanBounds(s.logKey(first), s.logKey(lo), false, true)
		}
	}
	if err != nil {
		return s.writeFailedLocked(err)
	}
	s.mu.first, s.mu.last = first, last
	return nil
}

// hasLog reports whether index holds an entry.
func (s *Store) hasLog(index uint64) (bool, error) {
	_, err := s.db.Get(s.logKey(index))
	if errors.Is(err, tempest.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// writeFailedLocked reloads the cached bounds after a failed write, whose
// effect is unknown, and returns err.
func (s *Store) writeFailedLocked(err error) error {
	if rerr := s.loadBoundsLocked(); rerr != nil {
		return errors.Join(err, rerr)
	}
	return err
}

// loadBounds reads the floor record and the bounds of the log.
func (s *Store) loadBounds() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loadBoundsLocked()
}

func (s *Store) loadBoundsLocked() error {
	floor := uint64(0)
	v, err := s.db.Get(s.key(spaceMeta, metaFirst))
	switch {
	case err == nil:
		var n int
		if floor, n = binary.Uvarint(v); n <= 0 || n != len(v) {
			return fmt.Errorf("raftstore: malformed first-index floor %x: %w", v, tempest.ErrCorruption)
		}
	case !errors.Is(err, tempest.ErrNotFound):
		return err
	}
	first, last, err := s.scanBounds(s.logKey(floor), s.logSpaceEnd(), true, true)
	if err != nil {
		return err
	}
	s.mu.floor, s.mu.first, s.mu.last = floor, first, last
	return nil
}

// scanBounds returns the first (if wantFirst) and last (if wantLast)
// index of the log entries in [lower, upper), 0 when there are none.
func (s *Store) scanBounds(lower, upper []byte, wantFirst, wantLast bool) (first, last uint64, err error) {
	it, err := s.db.NewIter(&tempest.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return 0, 0, err
	}
	if wantFirst && it.First() {
		first, err = s.checkedIndex(it.Key())
	}
	if err == nil && wantLast && it.Last() {
		last, err = s.checkedIndex(it.Key())
	}
	return first, last, errors.Join(err, it.Error(), it.Close())
}

// checkedIndex returns the index of log key k, or ErrCorruption if k is
// not one.
func (s *Store) checkedIndex(k []byte) (uint64, error) {
	if len(k) != len(s.prefix)+9 {
		return 0, fmt.Errorf("raftstore: key %x in the log key space is not a log key: %w", k, tempest.ErrCorruption)
	}
	return s.indexOf(k), nil
}

// satAdd1 returns x+1, or x at the largest uint64.
func satAdd1(x uint64) uint64 {
	if x == math.MaxUint64 {
		return x
	}
	return x + 1
}
