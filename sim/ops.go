package sim

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/tempestdb/tempest"
)

// opKind is a workload step.
type opKind int

const (
	opWrite    opKind = iota // a batch of sets and deletes, with or without Sync
	opGet                    // DB.Get
	opIter                   // a bounded iterator walked both ways, then closed
	opKeptIter               // open, step or close an iterator kept across steps
	opSnapshot               // take a snapshot, now or at an earlier WriteToken
	opSnapRead               // Get or iterate at a kept snapshot, maybe close it
	opFlush                  // DB.Flush
	opReopen                 // Close and Open
	opCheck                  // DB.Check, Metrics, LSM
	opCompact                // DB.Compact of the whole key space, if the DB has it
	numOps
)

var opNames = [numOps]string{"write", "get", "iter", "kept-iter", "snapshot", "snap-read", "flush", "reopen", "check", "compact"}

func (o opKind) String() string { return opNames[o] }

// mayBlock reports whether the op may wait for background work, so queued
// tasks must run before it.
func (o opKind) mayBlock() bool {
	return o == opWrite || o == opFlush || o == opReopen || o == opCompact
}

// keptSnap is an open snapshot and the model state it must read.
type keptSnap struct {
	snap    *tempest.Snapshot
	st      state
	desc    string
	atToken bool // made by NewSnapshotAt
}

// savedToken is a WriteToken and the state right after its commit.
type savedToken struct {
	tok tempest.WriteToken
	st  state
}

func (s *Sim) pickOp() opKind {
	total := 0
	for _, w := range s.cfg.weights {
		total += w
	}
	r := s.rng.IntN(total)
	for o, w := range s.cfg.weights {
		if r < w {
			return opKind(o)
		}
		r -= w
	}
	return opWrite
}

// pickKey returns a key of the seed's key space, now and then the empty key.
func (s *Sim) pickKey() string {
	if s.rng.IntN(200) == 0 {
		return ""
	}
	n := s.cfg.keys
	if s.cfg.hotKeys && s.rng.IntN(5) != 0 {
		n = min(n, 4)
	}
	return fmt.Sprintf("k%05d", s.rng.IntN(n))
}

// doStep runs one workload step.
func (s *Sim) doStep(crash bool) error {
	if crash && s.inj.crashAt == 0 {
		if s.rng.IntN(5) == 0 {
			s.tracef("step %d: crash now", s.step)
			s.phase = "idle"
			s.inj.takeCrash(nil, "scheduled", -1)
			return errDead
		}
		s.inj.crashAt = s.inj.writeOps + 1 + int64(s.rng.IntN(s.cfg.crashWindow))
		s.tracef("step %d: crash armed at write op %d (now %d)", s.step, s.inj.crashAt, s.inj.writeOps)
	}
	if s.proc.readOnly {
		if s.proc.patience == 0 {
			return s.faultReopen()
		}
		s.proc.patience--
	}
	op := s.pickOp()
	if op.mayBlock() || s.rng.IntN(2) == 0 {
		s.phase = "bg"
		s.sched.drain()
		if s.dead() {
			return errDead
		}
	}
	switch op {
	case opWrite:
		return s.opWrite()
	case opGet:
		s.phase = "read"
		k := s.pickKey()
		err := s.checkGet("get", s.db.Get, s.model.cur, k)
		s.tracef("step %d: get %q", s.step, k)
		return err
	case opIter:
		s.phase = "iter"
		ki, err := s.newKeptIter(s.db.NewIter, s.model.cur, "db")
		if err != nil || ki == nil {
			return err
		}
		s.tracef("step %d: %s", s.step, ki)
		if _, err := s.walk(ki, 3+s.rng.IntN(10)); err != nil {
			return err
		}
		return s.closeIter(ki)
	case opKeptIter:
		return s.opKeptIter()
	case opSnapshot:
		return s.opSnapshot()
	case opSnapRead:
		return s.opSnapRead()
	case opFlush:
		return s.opFlush()
	case opReopen:
		s.tracef("step %d: reopen", s.step)
		return s.closeAndReopen(true)
	case opCheck:
		return s.opCheck()
	case opCompact:
		return s.opCompact()
	}
	return nil
}

func (s *Sim) opWrite() error {
	c := &commit{sync: s.rng.IntN(100) < s.cfg.syncPct}
	b := s.db.NewBatch()
	id := s.model.nextID
	for range 1 + s.rng.IntN(s.cfg.maxBatch) {
		k := s.pickKey()
		var err error
		w := write{key: k, del: s.rng.IntN(100) < s.cfg.deletePct}
		if w.del {
			err = b.Delete([]byte(k))
		} else {
			v := valueFor(k, id, s.rng.IntN(s.cfg.maxValue+1))
			w.n = len(v)
			err = b.Set([]byte(k), v)
		}
		if err != nil {
			if !errors.Is(err, tempest.ErrInvalidArgument) || len(c.writes) == 0 {
				return s.failf("batch: %v", err)
			}
			break // the batch is full
		}
		c.writes = append(c.writes, w)
	}
	s.model.begin(c)
	s.stats.Commits++
	s.phase = "commit"
	tok, err := s.db.Apply(b, &tempest.WriteOptions{Sync: c.sync})
	if s.dead() {
		return errDead
	}
	s.tracef("step %d: commit %d (%d writes, sync=%t): %s", s.step, c.id, len(c.writes), c.sync, errString(err))
	if err != nil {
		return s.writeFailed("commit", err)
	}
	if s.proc.strict != nil {
		return s.failf("commit %d acknowledged after a failed %s", c.id, s.proc.strict)
	}
	if err := s.model.ack(c); err != nil {
		return s.failf("%v", err)
	}
	s.stats.Acked++
	if s.rng.IntN(8) == 0 {
		s.tokens = append(s.tokens, savedToken{tok, s.model.cur.clone()})
		if len(s.tokens) > 4 {
			s.tokens = s.tokens[1:]
		}
	}
	return nil
}

// writeFailed checks the error of a failed commit or flush: the DB must be
// read-only, the error must wrap an injected fault of this process, and
// it must not claim corruption.
func (s *Sim) writeFailed(what string, err error) error {
	if !errors.Is(err, tempest.ErrReadOnly) {
		return s.failf("%s failed without ErrReadOnly: %v", what, err)
	}
	if s.proc.faults == 0 {
		return s.failf("%s failed with no fault injected: %v", what, err)
	}
	if err := s.checkCause(what, err); err != nil {
		return err
	}
	if !s.proc.readOnly {
		s.proc.readOnly = true
		s.proc.patience = s.cfg.patience
	}
	return nil
}

func (s *Sim) opFlush() error {
	s.phase = "flush"
	s.sched.forceInline = true
	err := s.db.Flush()
	s.sched.forceInline = false
	if s.dead() {
		return errDead
	}
	s.tracef("step %d: flush: %s", s.step, errString(err))
	if err != nil {
		return s.writeFailed("flush", err)
	}
	if s.proc.strict != nil {
		return s.failf("flush succeeded after a failed %s", s.proc.strict)
	}
	s.model.durable()
	return nil
}

// compacter is the DB's manual compaction, when it has one.
type compacter interface {
	Compact(ctx context.Context, start, end []byte) error
}

func (s *Sim) opCompact() error {
	c, ok := any(s.db).(compacter)
	if !ok {
		return nil
	}
	s.phase = "compact"
	s.sched.forceInline = true
	err := c.Compact(context.Background(), nil, nil)
	s.sched.forceInline = false
	if s.dead() {
		return errDead
	}
	s.tracef("step %d: compact: %s", s.step, errString(err))
	if err != nil {
		return s.writeFailed("compact", err)
	}
	if s.proc.strict != nil {
		return s.failf("compaction succeeded after a failed %s", s.proc.strict)
	}
	s.model.durable()
	return nil
}

func (s *Sim) opSnapshot() error {
	s.phase = "snapshot"
	if len(s.snaps) >= 3 {
		return nil
	}
	if len(s.tokens) > 0 && s.rng.IntN(2) == 0 {
		t := s.tokens[s.rng.IntN(len(s.tokens))]
		snap, err := s.db.NewSnapshotAt(t.tok)
		s.tracef("step %d: snapshot at %s: %s", s.step, t.tok, errString(err))
		if errors.Is(err, tempest.ErrInvalidArgument) && strings.Contains(err.Error(), "compaction horizon") {
			return nil // the versions the token saw may be gone: refusing is right
		}
		if err != nil {
			return s.failf("NewSnapshotAt(%s): %v", t.tok, err)
		}
		s.snaps = append(s.snaps, &keptSnap{snap, t.st, t.tok.String(), true})
		return nil
	}
	snap := s.db.NewSnapshot()
	s.tracef("step %d: snapshot %d", s.step, snap.SeqNum())
	s.snaps = append(s.snaps, &keptSnap{snap, s.model.cur.clone(), fmt.Sprint("snapshot ", snap.SeqNum()), false})
	return nil
}

func (s *Sim) opSnapRead() error {
	s.phase = "snapshot"
	if len(s.snaps) == 0 {
		return nil
	}
	i := s.rng.IntN(len(s.snaps))
	ks := s.snaps[i]
	s.readingAtToken = ks.atToken
	defer func() { s.readingAtToken = false }()
	err := s.snapRead(ks)
	if err == errStaleToken {
		err = nil
		s.tracef("step %d: drop %s", s.step, ks.desc)
		ks.snap.Close()
		s.snaps = append(s.snaps[:i], s.snaps[i+1:]...)
		return nil
	}
	if err != nil {
		return err
	}
	if s.rng.IntN(3) == 0 {
		s.tracef("step %d: close %s", s.step, ks.desc)
		if err := ks.snap.Close(); err != nil {
			return s.failf("close %s: %v", ks.desc, err)
		}
		s.snaps = append(s.snaps[:i], s.snaps[i+1:]...)
	}
	return nil
}

// snapRead reads at ks: a Get or an iterator walk.
func (s *Sim) snapRead(ks *keptSnap) error {
	if s.rng.IntN(2) == 0 {
		k := s.pickKey()
		s.tracef("step %d: %s get %q", s.step, ks.desc, k)
		if err := s.checkGet(ks.desc+" get", ks.snap.Get, ks.st, k); err != nil {
			return err
		}
	} else {
		ki, err := s.newKeptIter(ks.snap.NewIter, ks.st, ks.desc)
		if err != nil || ki == nil {
			return err
		}
		s.tracef("step %d: %s %s", s.step, ks.desc, ki)
		if _, err := s.walk(ki, 3+s.rng.IntN(10)); err != nil {
			ki.it.Close()
			return err
		}
		return s.closeIter(ki)
	}
	return nil
}

func (s *Sim) opKeptIter() error {
	s.phase = "iter"
	if len(s.iters) < 2 && (len(s.iters) == 0 || s.rng.IntN(2) == 0) {
		ki, err := s.newKeptIter(s.db.NewIter, s.model.cur.clone(), "db")
		if err != nil || ki == nil {
			return err
		}
		s.tracef("step %d: keep %s", s.step, ki)
		s.iters = append(s.iters, ki)
		return nil
	}
	i := s.rng.IntN(len(s.iters))
	ki := s.iters[i]
	s.tracef("step %d: step kept %s", s.step, ki)
	alive, err := s.walk(ki, 1+s.rng.IntN(10))
	if err != nil {
		return err
	}
	if !alive || s.rng.IntN(3) == 0 {
		s.iters = append(s.iters[:i], s.iters[i+1:]...)
		return s.closeIter(ki)
	}
	return nil
}

func (s *Sim) opCheck() error {
	s.phase = "check"
	mark := s.inj.injected
	err := s.db.Check()
	s.tracef("step %d: check: %s", s.step, errString(err))
	if err != nil {
		if err := s.readErr("Check", err, mark); err != nil {
			return err
		}
	}
	_ = s.db.Metrics().String()
	if _, err := s.db.LSM(); err != nil {
		return s.failf("LSM: %v", err)
	}
	return nil
}

// closeKept closes the kept iterators and snapshots.
func (s *Sim) closeKept() {
	for _, ki := range s.iters {
		_ = ki.it.Close()
	}
	for _, ks := range s.snaps {
		_ = ks.snap.Close()
	}
	s.iters, s.snaps = nil, nil
}
