package server

import (
	"time"

	"github.com/tempestdb/tempest/server/rediscmd"
)

// The expiry sweep: redis-server's active expiry, over the key order
// (rediscmd.FindExpired and PurgeExpired, which the cluster's sweep
// shares).
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
func (s *Server) expireLoop(stop <-chan struct{}, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	var from []byte
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			next, err := s.sweep(from, rediscmd.SweepSlice)
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
	expired, next, err := s.newReadTxn().FindExpired(from, n, 0)
	if err != nil || len(expired) == 0 {
		return next, err
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	tx := s.newWriteTxn()
	purged, err := tx.PurgeExpired(expired)
	if err != nil || len(purged) == 0 {
		return next, err
	}
	s.dur.ticketLocked()
	if _, err = s.db.Apply(tx.B, noSync); err != nil {
		return next, err
	}
	s.expired.Add(int64(len(purged)))
	return next, nil
}

// SweepExpired runs the expiry sweep over every key now and returns how
// many it deleted (tests, and operators that want the space back).
func (s *Server) SweepExpired() (int64, error) {
	before := s.expired.Load()
	var from []byte
	for {
		next, err := s.sweep(from, rediscmd.SweepSlice)
		if err != nil {
			return s.expired.Load() - before, err
		}
		if next == nil {
			return s.expired.Load() - before, nil
		}
		from = next
	}
}
