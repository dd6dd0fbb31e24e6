package server

import (
	"time"

	"github.com/tempestdb/tempest/server/rediscmd"
)

// The expiry sweep: redis-server's active expiry, over the key order.
//
// An expired value already reads as absent (rediscmd.Txn.Get), but it stays in the
// LSM, with every older version it hides, until something deletes it.
// The sweep walks the keys in order, a slice at a time, and writes a
// tombstone over each expired value it finds (a write txn under s.wmu
// that re-reads the key first, so a value written since is never
// deleted). Compactions then drop the tombstone, the expired value and
// every version below it, as for any delete. The engine's Options.Filter
// is not used for this: a value it rejects counts as never written, so
// hiding only the expired newest version would bring back the version
// below it (docs/decisions.md).
const (
	defaultSweepEvery = 100 * time.Millisecond
	sweepSlice        = 1000 // entries examined per step
)

func (s *Server) expireLoop(stop <-chan struct{}, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	var from []byte
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			next, err := s.sweep(from, sweepSlice)
			if err != nil {
				s.logf("expiry sweep: %v", err)
			}
			from = next
		}
	}
}

// sweep examines up to n stored keys from the Redis key from (nil: the
// first), deletes the expired ones, and returns where the next step
// starts (nil: from the first key again).
func (s *Server) sweep(from []byte, n int) ([]byte, error) {
	expired, next, err := s.findExpired(from, n)
	if err != nil || len(expired) == 0 {
		return next, err
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	tx := s.newWriteTxn()
	for _, k := range expired {
		e, ok, err := tx.GetRaw(k)
		if err != nil {
			return next, err
		}
		if ok && e.ExpiredAt(tx.Now) {
			if err := tx.Purge(k); err != nil {
				return next, err
			}
			s.expired.Add(1)
		}
	}
	if tx.B.Empty() {
		return next, nil
	}
	s.dur.ticketLocked()
	_, err = s.db.Apply(tx.B, noSync)
	return next, err
}

// findExpired lists the expired keys among n stored entries from from.
func (s *Server) findExpired(from []byte, n int) (expired [][]byte, next []byte, err error) {
	tx := s.newReadTxn()
	it, err := tx.Iter()
	if err != nil {
		return nil, nil, err
	}
	defer it.Close()
	valid := it.SeekGE(storeKey(from))
	for i := 0; valid; valid = it.Next() {
		if i == n {
			next = append([]byte(nil), it.Key()[1:]...)
			break
		}
		i++
		e, derr := rediscmd.DecodeValue(it.Value())
		if derr == nil && e.ExpiredAt(tx.Now) {
			expired = append(expired, append([]byte(nil), it.Key()[1:]...))
		}
	}
	return expired, next, it.Error()
}

// SweepExpired runs the expiry sweep over every key now and returns how
// many it deleted (tests, and operators that want the space back).
func (s *Server) SweepExpired() (int64, error) {
	before := s.expired.Load()
	var from []byte
	for {
		next, err := s.sweep(from, sweepSlice)
		if err != nil {
			return s.expired.Load() - before, err
		}
		if next == nil {
			return s.expired.Load() - before, nil
		}
		from = next
	}
}
