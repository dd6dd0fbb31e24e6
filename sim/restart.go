package sim

import (
	"errors"
	"strings"

	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/vfs"
	"github.com/tempestdb/tempest/vfs/errorfs"
)

// Process lifecycle: open, close, crash, and the recovery check.

// reopen opens the DB and checks the recovered state against the model.
// Faults stay on during the first attempt if the seed says so; an attempt
// that fails because of an injected fault is retried without faults.
func (s *Sim) reopen(faults bool) error {
	s.resetProc()
	for attempt := 0; ; attempt++ {
		s.inj.enabled = faults && attempt == 0 && s.cfg.faultsInOpen
		mark := s.inj.injected
		s.phase = "open"
		db, err := tempest.Open(dbDir, s.options())
		s.tracef("  open (attempt %d): %s", attempt, errString(err))
		if s.dead() {
			return errDead
		}
		if err != nil {
			if s.knownTornWALHeader(err) {
				return errStopKnownBug
			}
			if s.inj.injected == mark {
				return s.failf("reopen failed with no fault injected: %v", err)
			}
			if err := s.checkCause("open", err); err != nil {
				return err
			}
			s.resetProc()
			continue
		}
		s.db = db
		break
	}
	s.inj.enabled = false
	err := s.verifyRecovery()
	s.inj.enabled = faults
	return err
}

func (s *Sim) resetProc() {
	s.proc.faults, s.proc.syncFaults = 0, 0
	s.proc.strict = nil
	s.proc.readOnly = false
	s.tokens = nil
}

// verifyRecovery checks that the recovered state is the model after some
// prefix of the pending commits that keeps every commit the floors
// require, and that DB.Check passes; then it resolves the model.
func (s *Sim) verifyRecovery() error {
	s.phase = "verify"
	got, err := s.scan()
	if err != nil {
		return err
	}
	need := s.model.floorAck
	l, ok := s.model.findPrefix(got, need)
	if !ok {
		return s.failf("recovered state (%d keys) is not the model after any prefix of the %d pending commits of length >= %d; against prefix %d: %s",
			len(got), len(s.model.pending), need, need, s.model.explain(got, need))
	}
	if err := s.db.Check(); err != nil {
		return s.failf("Check after recovery: %v", err)
	}
	s.tracef("  recovered %d of %d pending commits (need >= %d): %d keys", l, len(s.model.pending), need, len(got))
	s.model.resolve(l)
	s.stats.Reopens++
	return nil
}

// scan reads the whole DB, forward, and decodes every value.
func (s *Sim) scan() (state, error) {
	it, err := s.db.NewIter(nil)
	if err != nil {
		return nil, s.failf("scan: %v", err)
	}
	defer it.Close()
	got := state{}
	var prev []byte
	for ok := it.First(); ok; ok = it.Next() {
		k := string(it.Key())
		if prev != nil && k <= string(prev) {
			return nil, s.failf("scan: key %q after %q", k, prev)
		}
		prev = append(prev[:0], k...)
		id, n, err := decodeValue(k, it.Value())
		if err != nil {
			return nil, s.failf("scan: %v", err)
		}
		got[k] = entry{id, n}
	}
	if err := it.Error(); err != nil {
		return nil, s.failf("scan: %v", err)
	}
	return got, nil
}

// checkCause checks the error of an operation that an injected fault made
// fail: it must wrap the injected error, and must not claim corruption.
func (s *Sim) checkCause(what string, err error) error {
	if _, ok := s.knownBugFor(err); ok {
		return nil
	}
	if errors.Is(err, tempest.ErrCorruption) {
		return s.failf("%s: injected I/O fault reported as corruption: %v", what, err)
	}
	if !errors.Is(err, errorfs.ErrInjected) && !errors.Is(err, errorfs.ErrNoSpace) {
		return s.failf("%s: error does not wrap the injected fault: %v", what, err)
	}
	return nil
}

// closeDB closes the DB after running pending tasks. A Close that
// succeeds in a process without faults makes every acknowledged commit
// durable.
func (s *Sim) closeDB() error {
	s.phase = "close"
	s.sched.drain()
	if s.dead() {
		return errDead
	}
	s.closeKept()
	s.phase = "close"
	err := s.db.Close()
	s.tracef("  close: %s", errString(err))
	if s.dead() {
		return errDead
	}
	s.db = nil
	if err != nil {
		if s.proc.faults == 0 {
			return s.failf("close failed with no fault injected: %v", err)
		}
		return s.checkCause("close", err)
	}
	if s.proc.faults == 0 {
		s.model.durable()
	}
	return nil
}

func (s *Sim) closeAndReopen(faults bool) error {
	if err := s.closeDB(); err != nil {
		return err
	}
	return s.reopen(faults)
}

// faultReopen recovers from a read-only DB once "space returns": faults
// off, close, reopen. After a failed fsync the kernel may have dropped the
// file's dirty pages; half the time that is modelled as a crash that loses
// the unsynced data.
func (s *Sim) faultReopen() error {
	s.stats.FaultReopens++
	s.inj.enabled = false
	if s.proc.syncFaults > 0 && s.rng.IntN(2) == 0 {
		s.tracef("step %d: fsync failed earlier: dirty pages dropped", s.step)
		s.inj.takeCrash(nil, "fsync failure", 0)
		return errDead
	}
	s.tracef("step %d: space returns: faults off, close, reopen", s.step)
	if err := s.closeDB(); err != nil {
		return err
	}
	return s.reopen(true)
}

// restart recovers from the crash that struck: the process's DB, tasks,
// iterators and snapshots are gone; the crash image becomes the file
// system.
func (s *Sim) restart() error {
	ev := s.inj.crash
	s.inj.crash = nil
	s.stats.Crashes++
	s.model.crash(ev.process)
	s.db = nil
	s.sched.drop()
	s.iters, s.snaps = nil, nil
	if s.manifestDirRisk && newestManifest(ev.clone) != newestManifest(s.mem) && s.knownLostManifest() {
		return errStopKnownBug
	}
	s.manifestDirRisk = false
	s.mem = ev.clone
	s.wrapFS()
	s.tracef("restart after crash %d (process=%t)", s.stats.Crashes, ev.process)
	return s.reopen(true)
}

// newestManifest returns the name of the newest manifest file in fs, or
// "" if there is none.
func newestManifest(fs *vfs.MemFS) string {
	names, _ := fs.List(manifestDir)
	newest := ""
	for _, n := range names {
		// Names are zero-padded: newer sorts later among equal lengths.
		if strings.HasPrefix(n, "manifest-") && !strings.HasSuffix(n, ".tmp") &&
			(len(n) > len(newest) || (len(n) == len(newest) && n > newest)) {
			newest = n
		}
	}
	return newest
}
