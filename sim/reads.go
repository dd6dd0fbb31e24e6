package sim

import (
	"bytes"
	"errors"
	"fmt"
	"sort"

	"github.com/tempestdb/tempest"
)

// Read checks: every Get and every iterator step is compared with the
// model state the read must see.

// readErr checks the error of a failed read: a fault must have been
// injected since mark, and the error must wrap it.
func (s *Sim) readErr(what string, err error, mark int64) error {
	if s.inj.injected == mark {
		return s.failf("%s failed with no fault injected: %v", what, err)
	}
	return s.checkCause(what, err)
}

// checkGet checks get(key) against st.
func (s *Sim) checkGet(what string, get func([]byte) ([]byte, error), st state, key string) error {
	mark := s.inj.injected
	v, err := get([]byte(key))
	s.stats.Reads++
	e, ok := st[key]
	switch {
	case err == nil && !ok:
		return s.mismatch("%s %q = %.40q, want not found", what, key, v)
	case err == nil && !bytes.Equal(v, valueFor(key, e.id, e.n)):
		return s.mismatch("%s %q = %.40q, want the value of commit %d", what, key, v, e.id)
	case errors.Is(err, tempest.ErrNotFound) && ok:
		return s.mismatch("%s %q: not found, want the value of commit %d", what, key, e.id)
	case err != nil && !errors.Is(err, tempest.ErrNotFound):
		s.tracef("  %s %q: %v", what, key, err)
		return s.readErr(what, err, mark)
	}
	return nil
}

// keptIter is an iterator and the model state it must read. pos indexes
// keys; -1 or len(keys) means unpositioned or exhausted.
type keptIter struct {
	it           *tempest.Iterator
	st           state
	keys         []string
	lower, upper []byte
	pos          int
	failed       bool
	src          string
}

func (k *keptIter) String() string {
	return fmt.Sprintf("iter[%q,%q)", k.lower, k.upper)
}

// newKeptIter opens an iterator with random bounds on a source whose
// reads must equal st. It returns nil if an injected fault made the open
// fail.
func (s *Sim) newKeptIter(open func(*tempest.IterOptions) (*tempest.Iterator, error), st state, src string) (*keptIter, error) {
	var o tempest.IterOptions
	if s.rng.IntN(2) == 0 {
		o.LowerBound = []byte(s.pickKey())
	}
	if s.rng.IntN(2) == 0 {
		o.UpperBound = []byte(s.pickKey())
	}
	mark := s.inj.injected
	it, err := open(&o)
	if err != nil {
		s.tracef("  %s: new iterator: %v", src, err)
		return nil, s.readErr(src+" new iterator", err, mark)
	}
	return &keptIter{it: it, st: st, keys: st.sortedKeys(o.LowerBound, o.UpperBound),
		lower: o.LowerBound, upper: o.UpperBound, pos: -1, src: src}, nil
}

// walk makes n random moves, checking each. It reports whether the
// iterator is still usable (an injected fault stops it).
func (s *Sim) walk(ki *keptIter, n int) (bool, error) {
	it, keys := ki.it, ki.keys
	for range n {
		mark := s.inj.injected
		var ok bool
		var what string
		switch s.rng.IntN(6) {
		case 0:
			what, ki.pos = "First", 0
			if len(keys) == 0 {
				ki.pos = -1
			}
			ok = it.First()
		case 1:
			what, ki.pos = "Last", len(keys)-1
			ok = it.Last()
		case 2:
			k := s.pickKey()
			what = "SeekGE " + k
			ki.pos = sort.SearchStrings(keys, k)
			if ki.pos == len(keys) {
				ki.pos = -1
			}
			ok = it.SeekGE([]byte(k))
		case 3:
			k := s.pickKey()
			what = "SeekLT " + k
			ki.pos = sort.SearchStrings(keys, k) - 1
			ok = it.SeekLT([]byte(k))
		case 4:
			if ki.pos < 0 || ki.pos >= len(keys) {
				continue
			}
			what = "Next"
			ki.pos++
			ok = it.Next()
		case 5:
			if ki.pos < 0 || ki.pos >= len(keys) {
				continue
			}
			what = "Prev"
			ki.pos--
			ok = it.Prev()
		}
		s.stats.Reads++
		if err := it.Error(); err != nil {
			s.tracef("  %s %s: %s: %v", ki.src, ki, what, err)
			ki.failed = true
			return false, s.readErr(ki.src+" iterator "+what, err, mark)
		}
		want := ki.pos >= 0 && ki.pos < len(keys)
		if ok != want || it.Valid() != want {
			return false, s.mismatch("%s %s: %s: valid=%t, want %t (position %d of %d)", ki.src, ki, what, ok, want, ki.pos, len(keys))
		}
		if !want {
			continue
		}
		k := keys[ki.pos]
		e := ki.st[k]
		if string(it.Key()) != k || !bytes.Equal(it.Value(), valueFor(k, e.id, e.n)) {
			return false, s.mismatch("%s %s: %s: at %q=%.40q, want %q from commit %d", ki.src, ki, what, it.Key(), it.Value(), k, e.id)
		}
	}
	return true, nil
}

// closeIter closes ki; a clean iterator must close without error.
func (s *Sim) closeIter(ki *keptIter) error {
	err := ki.it.Close()
	if err != nil && !ki.failed {
		return s.failf("%s %s: close: %v", ki.src, ki, err)
	}
	return nil
}

// mismatch reports a read that differs from the model: a failure, unless
// the read is at a snapshot made by NewSnapshotAt and the known bug
// snapshotAtBug explains it.
func (s *Sim) mismatch(format string, args ...any) error {
	if s.readingAtToken && s.knownSnapshotAt() {
		return errStaleToken
	}
	return s.failf(format, args...)
}
