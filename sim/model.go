package sim

import (
	"fmt"
	"slices"
	"strings"
)

// entry is the model's record of a live key: the commit that wrote it and
// the value's length (the value itself is valueFor(key, id, n)).
type entry struct {
	id uint64
	n  int
}

// state maps each live key to its entry.
type state map[string]entry

func (s state) clone() state {
	c := make(state, len(s))
	for k, e := range s {
		c[k] = e
	}
	return c
}

// sortedKeys returns the keys in [lower, upper) in order; a nil bound is
// open.
func (s state) sortedKeys(lower, upper []byte) []string {
	ks := make([]string, 0, len(s))
	for k := range s {
		if (lower == nil || k >= string(lower)) && (upper == nil || k < string(upper)) {
			ks = append(ks, k)
		}
	}
	slices.Sort(ks)
	return ks
}

// write is one entry of a batch: a set of key to an n-byte value, or a
// delete.
type write struct {
	key string
	del bool
	n   int
}

// commit is one batch handed to DB.Apply.
type commit struct {
	id     uint64
	writes []write
	sync   bool
	acked  bool
}

// applyTo applies c to s; a later write to a key in the batch wins.
func (c *commit) applyTo(s state) {
	for _, w := range c.writes {
		if w.del {
			delete(s, w.key)
		} else {
			s[w.key] = entry{c.id, w.n}
		}
	}
}

// model is the oracle: the commits in commit order, split into a resolved
// base (what the last successful recovery established) and the commits
// since, whose fate a crash decides.
//
// Invariants: pending[:nAcked] are the acknowledged commits (a write
// failure makes the DB read-only, so no commit after a failed one is
// acknowledged); floorSync <= floorAck <= nAcked.
type model struct {
	base    state
	pending []*commit
	// cur is base plus the acknowledged commits: what reads see now.
	cur    state
	nAcked int
	// floorAck and floorSync are how many pending commits a recovery must
	// keep after a process crash and after a power loss: every
	// acknowledged commit, and every commit up to the last one known
	// durable (acknowledged with Sync, or covered by a successful Flush or
	// Close).
	floorAck, floorSync int
	nextID              uint64
}

func newModel() *model {
	return &model{base: state{}, cur: state{}, nextID: 1}
}

// begin records c as the next commit, before it is handed to Apply.
func (m *model) begin(c *commit) {
	c.id = m.nextID
	m.nextID++
	m.pending = append(m.pending, c)
}

// ack marks the last begun commit acknowledged.
func (m *model) ack(c *commit) error {
	if m.nAcked != len(m.pending)-1 || m.pending[m.nAcked] != c {
		return fmt.Errorf("commit %d acknowledged after commit %d failed", c.id, m.pending[m.nAcked].id)
	}
	c.acked = true
	m.nAcked++
	c.applyTo(m.cur)
	m.floorAck = m.nAcked
	if c.sync {
		m.floorSync = m.nAcked
	}
	return nil
}

// durable records that every acknowledged commit is durable.
func (m *model) durable() { m.floorSync = m.floorAck }

// crash applies a crash to the floors: a process crash keeps every
// acknowledged commit, a power loss only the durable ones; either way the
// crash image is then durable as a whole.
func (m *model) crash(processCrash bool) {
	if processCrash {
		m.floorSync = m.floorAck
	} else {
		m.floorAck = m.floorSync
	}
}

// findPrefix returns the largest L >= need such that got equals the state
// after base and pending[:L]. It walks the commits once, keeping the count
// of keys on which the two states differ.
func (m *model) findPrefix(got state, need int) (int, bool) {
	s := m.base.clone()
	diff := 0
	differs := func(k string) bool {
		e, ok := s[k]
		g, gok := got[k]
		return ok != gok || e != g
	}
	keys := make(map[string]bool, len(s)+len(got))
	for k := range s {
		keys[k] = true
	}
	for k := range got {
		keys[k] = true
	}
	for k := range keys {
		if differs(k) {
			diff++
		}
	}
	best := -1
	for l := 0; ; l++ {
		if l >= need && diff == 0 {
			best = l
		}
		if l == len(m.pending) {
			break
		}
		for _, w := range m.pending[l].writes {
			before := differs(w.key)
			if w.del {
				delete(s, w.key)
			} else {
				s[w.key] = entry{m.pending[l].id, w.n}
			}
			switch after := differs(w.key); {
			case before && !after:
				diff--
			case !before && after:
				diff++
			}
		}
	}
	return best, best >= 0
}

// resolve makes base the state after pending[:l]: a recovery kept exactly
// those commits, durably. The rest are gone for good.
func (m *model) resolve(l int) {
	for _, c := range m.pending[:l] {
		c.applyTo(m.base)
	}
	m.pending = nil
	m.cur = m.base.clone()
	m.nAcked, m.floorAck, m.floorSync = 0, 0, 0
}

// explain describes how got differs from the state after pending[:l], for
// a failure message.
func (m *model) explain(got state, l int) string {
	s := m.base.clone()
	for _, c := range m.pending[:l] {
		c.applyTo(s)
	}
	var diffs []string
	for _, k := range s.sortedKeys(nil, nil) {
		if g, ok := got[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%q missing (want commit %d)", k, s[k].id))
		} else if g != s[k] {
			diffs = append(diffs, fmt.Sprintf("%q from commit %d (want %d)", k, g.id, s[k].id))
		}
	}
	for _, k := range got.sortedKeys(nil, nil) {
		if _, ok := s[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%q from commit %d (want absent)", k, got[k].id))
		}
	}
	if len(diffs) > 8 {
		diffs = append(diffs[:8], fmt.Sprintf("... %d more", len(diffs)-8))
	}
	return strings.Join(diffs, "; ")
}
