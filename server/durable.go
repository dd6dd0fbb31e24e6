package server

import (
	"runtime"
	"sync"
	"time"

	"github.com/tempestdb/tempest"
)

// durability makes acknowledged writes durable.
//
// Every write txn commits with NoSync under s.wmu (so the next txn reads
// it at once) after taking a ticket: written counts the write txns that
// have started to commit. A reply that depends on writes (a write's own
// reply, and any read's, since it may have seen a write not yet synced)
// waits until synced covers the ticket it saw. One waiter at a time, the
// leader, makes a sync: it reads written under s.wmu (so every ticket up
// to it has returned from Apply), applies an empty batch with Sync, which
// fsyncs the WAL and with it every write before it, and then records that
// count as synced. Waiters that arrive meanwhile are covered by the next
// sync: one fsync serves every write that arrived during the previous
// one (group commit).
//
// With appendfsync everysec nothing waits: a background loop makes the
// same sync once a second.
type durability struct {
	s *Server

	mu      sync.Mutex
	cond    *sync.Cond
	written uint64 // guarded by s.wmu and mu (read under either)
	synced  uint64 // guarded by mu
	syncing bool   // guarded by mu: a leader's sync is under way
	err     error  // guarded by mu: the first sync failure, sticky
}

func newDurability(s *Server) *durability {
	d := &durability{s: s}
	d.cond = sync.NewCond(&d.mu)
	return d
}

// ticketLocked counts a write txn about to commit; s.wmu is held.
func (d *durability) ticketLocked() uint64 {
	d.mu.Lock()
	d.written++
	t := d.written
	d.mu.Unlock()
	return t
}

// current returns the ticket of the newest write that may be visible.
func (d *durability) current() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.written
}

// wait returns when every write up to ticket is synced, or the sync
// error.
func (d *durability) wait(ticket uint64) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for d.synced < ticket && d.err == nil {
		if d.syncing {
			d.cond.Wait()
			continue
		}
		d.syncOnceLocked()
	}
	return d.err
}

// syncOnceLocked runs one sync as the leader; d.mu is held on entry and
// exit and released during the fsync.
func (d *durability) syncOnceLocked() {
	d.syncing = true
	d.mu.Unlock()
	d.gather()
	d.s.wmu.Lock()
	target := d.current()
	d.s.wmu.Unlock()
	_, err := d.s.db.Apply(d.s.db.NewBatch(), tempest.Sync)
	d.mu.Lock()
	d.syncing = false
	if err != nil && d.err == nil {
		d.err = err
	}
	if err == nil && target > d.synced {
		d.synced = target
	}
	d.cond.Broadcast()
}

// gather lets writes that are arriving join the coming sync: while the
// write count still grows, it waits a moment more (at most gatherRounds
// times). Without this a sync that starts the moment the previous one
// ends covers only the few writes that committed in between.
func (d *durability) gather() {
	last := d.current()
	for range gatherRounds {
		runtime.Gosched()
		n := d.current()
		if n == last {
			return
		}
		last = n
	}
}

const gatherRounds = 8

// syncNow syncs every write made so far (the everysec loop and Close).
func (d *durability) syncNow() error { return d.wait(d.current()) }

// everySecond syncs once a second until stop is closed.
func (d *durability) everySecond(stop <-chan struct{}) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			if err := d.syncNow(); err != nil {
				d.s.logf("appendfsync everysec: sync failed: %v", err)
				return
			}
		}
	}
}
