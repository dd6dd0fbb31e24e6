package raftstore

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/hashicorp/raft"

	"github.com/tempestdb/tempest"
)

// logModel is the log as a map: what a Store must read back.
type logModel map[uint64]*raft.Log

func (m logModel) bounds() (first, last uint64) {
	keys := slices.Sorted(maps.Keys(m))
	if len(keys) == 0 {
		return 0, 0
	}
	return keys[0], keys[len(keys)-1]
}

// check compares s with m: the bounds, every entry m holds, and
// ErrLogNotFound around and between them.
func (m logModel) check(t *testing.T, s *Store, step int) {
	t.Helper()
	first, last := m.bounds()
	checkBounds(t, s, first, last)
	lo, hi := max(first, 3)-2, last+2
	for i := lo; i <= hi; i++ {
		var got raft.Log
		err := s.GetLog(i, &got)
		want, ok := m[i]
		switch {
		case !ok && err != raft.ErrLogNotFound:
			t.Fatalf("step %d: GetLog(%d) = %v, want raft.ErrLogNotFound", step, i, err)
		case ok && err != nil:
			t.Fatalf("step %d: GetLog(%d): %v", step, i, err)
		case ok && !sameLog(want, &got):
			t.Fatalf("step %d: GetLog(%d) = %+v, want %+v", step, i, got, *want)
		}
	}
}

// TestLogStoreModel runs random raft-like operations (appends, appends
// after a gap, overwrites of the tail, deletes of the front and of the
// tail, deletes of everything) against a Store and a map, reopening the
// Store and the DB now and then, and compares them after each step.
func TestLogStoreModel(t *testing.T) {
	seed := testSeed(t)
	rng := newRand(seed)
	dir := t.TempDir()
	db := openDB(t, dir)
	defer func() { db.Close() }()
	s := newStore(t, db, "shard/1/")
	m := logModel{}
	term := uint64(1)
	for step := range 300 {
		first, last := m.bounds()
		switch op := rng.IntN(20); {
		case op < 10: // append
			n := 1 + rng.IntN(40)
			var logs []*raft.Log
			for i := range uint64(n) {
				l := testLog(last+1+i, term)
				logs = append(logs, l)
				m[l.Index] = l
			}
			if err := s.StoreLogs(logs); err != nil {
				t.Fatal(err)
			}
		case op < 11: // append after a gap, as after a snapshot restore
			l := testLog(last+2+uint64(rng.IntN(100)), term)
			m[l.Index] = l
			if err := s.StoreLog(l); err != nil {
				t.Fatal(err)
			}
		case op < 13 && last > 0: // a new term truncates and rewrites the tail
			term++
			from := first + uint64(rng.Uint64N(last-first+1))
			if err := s.DeleteRange(from, last); err != nil {
				t.Fatal(err)
			}
			for i := from; i <= last; i++ {
				delete(m, i)
			}
		case op < 16 && last > 0: // compaction deletes the front
			to := first + uint64(rng.Uint64N(last-first+1))
			if err := s.DeleteRange(first, to); err != nil {
				t.Fatal(err)
			}
			for i := first; i <= to; i++ {
				delete(m, i)
			}
		case op < 17: // a delete of everything, bounds past the log
			if err := s.DeleteRange(0, last+10); err != nil {
				t.Fatal(err)
			}
			clear(m)
		case op < 18: // a delete in the middle leaves the bounds
			if last > first+2 {
				if err := s.DeleteRange(first+1, first+1); err != nil {
					t.Fatal(err)
				}
				delete(m, first+1)
			}
		case op < 19:
			s = newStore(t, db, "shard/1/")
		default:
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			db = openDB(t, dir)
			s = newStore(t, db, "shard/1/")
		}
		m.check(t, s, step)
	}
}

// TestStableStoreConventions checks the errors raft relies on: a missing
// key reads as ErrKeyNotFound, whose text is "not found", and GetUint64
// as 0; and that values survive a reopen.
func TestStableStoreConventions(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, dir)
	s := newStore(t, db, "g/")
	v, err := s.Get([]byte("CurrentTerm"))
	if err == nil || err.Error() != "not found" || !errors.Is(err, tempest.ErrNotFound) || v != nil {
		t.Fatalf("Get of a missing key: %q, %v; want nil and \"not found\"", v, err)
	}
	n, err := s.GetUint64([]byte("CurrentTerm"))
	if err != ErrKeyNotFound || n != 0 {
		t.Fatalf("GetUint64 of a missing key: %d, %v; want 0, ErrKeyNotFound", n, err)
	}
	snaps := raft.NewInmemSnapshotStore()
	if has, err := raft.HasExistingState(s, s, snaps); has || err != nil {
		t.Fatalf("HasExistingState of an empty store: %v, %v", has, err)
	}
	if err := s.SetUint64([]byte("CurrentTerm"), 7); err != nil {
		t.Fatal(err)
	}
	if err := s.Set([]byte("LastVoteCand"), []byte("n2")); err != nil {
		t.Fatal(err)
	}
	if err := s.Set([]byte("empty"), nil); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openDB(t, dir)
	defer db.Close()
	s = newStore(t, db, "g/")
	if has, err := raft.HasExistingState(s, s, snaps); !has || err != nil {
		t.Fatalf("HasExistingState after SetUint64(CurrentTerm): %v, %v", has, err)
	}
	if n, err := s.GetUint64([]byte("CurrentTerm")); n != 7 || err != nil {
		t.Fatalf("GetUint64 after reopen: %d, %v", n, err)
	}
	if v, err := s.Get([]byte("LastVoteCand")); string(v) != "n2" || err != nil {
		t.Fatalf("Get after reopen: %q, %v", v, err)
	}
	if v, err := s.Get([]byte("empty")); v == nil || len(v) != 0 || err != nil {
		t.Fatalf("Get of an empty value: %q, %v; want an empty slice", v, err)
	}
	if _, err := s.GetUint64([]byte("LastVoteCand")); !errors.Is(err, tempest.ErrInvalidArgument) {
		t.Fatalf("GetUint64 of a 2-byte value: %v, want ErrInvalidArgument", err)
	}
}

// TestStoresShareDB keeps two Stores on one DB and requires each to see
// only its own entries and keys, through deletes of everything and a
// reopen.
func TestStoresShareDB(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, dir)
	a, b := newStore(t, db, "a/"), newStore(t, db, "b/")
	for i := uint64(1); i <= 50; i++ {
		if err := a.StoreLog(testLog(i, 1)); err != nil {
			t.Fatal(err)
		}
		if err := b.StoreLog(testLog(i+100, 2)); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.SetUint64([]byte("k"), 1); err != nil {
		t.Fatal(err)
	}
	if err := a.DeleteRange(0, 1<<63); err != nil {
		t.Fatal(err)
	}
	checkBounds(t, a, 0, 0)
	checkBounds(t, b, 101, 150)
	if _, err := b.GetUint64([]byte("k")); err != ErrKeyNotFound {
		t.Fatalf("b reads a's stable key: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openDB(t, dir)
	defer db.Close()
	a, b = newStore(t, db, "a/"), newStore(t, db, "b/")
	checkBounds(t, a, 0, 0)
	checkBounds(t, b, 101, 150)
	var l raft.Log
	if err := b.GetLog(120, &l); err != nil || !sameLog(&l, testLog(120, 2)) {
		t.Fatalf("b.GetLog(120) = %+v, %v", l, err)
	}
}

// TestStoreLogsAtomicLimit requires a StoreLogs larger than the DB's
// batch limit to fail whole, leaving the bounds as they were.
func TestStoreLogsAtomicLimit(t *testing.T) {
	db, err := tempest.Open(t.TempDir(), &tempest.Options{MemTableSize: 1 << 20} /* MaxBatchSize 512 KiB */)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := newStore(t, db, "")
	if err := s.StoreLogs([]*raft.Log{testLog(1, 1)}); err != nil {
		t.Fatal(err)
	}
	big := []*raft.Log{testLog(2, 1)}
	for i := uint64(3); i < 6; i++ {
		big = append(big, &raft.Log{Index: i, Term: 1, Data: make([]byte, 200<<10)})
	}
	if err := s.StoreLogs(big); !errors.Is(err, tempest.ErrInvalidArgument) {
		t.Fatalf("StoreLogs over MaxBatchSize: %v, want ErrInvalidArgument", err)
	}
	checkBounds(t, s, 1, 1)
	var l raft.Log
	if err := s.GetLog(2, &l); err != raft.ErrLogNotFound {
		t.Fatalf("GetLog(2) after a failed StoreLogs: %v", err)
	}
}

// TestConcurrentUse has one goroutine append and delete the log's front,
// as raft's main loop and snapshotter do, while two read the bounds and
// the last entry, as replication does; the last entry must always be
// readable and the bounds ordered. Run under -race it also checks the
// Store's locking.
func TestConcurrentUse(t *testing.T) {
	db := openDB(t, t.TempDir())
	defer db.Close()
	s := newStore(t, db, "c/")
	done := make(chan struct{})
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			for {
				select {
				case <-done:
					errs <- nil
					return
				default:
				}
				first, _ := s.FirstIndex()
				last, _ := s.LastIndex()
				if last == 0 {
					continue
				}
				var l raft.Log
				if err := s.GetLog(last, &l); err != nil || first > last {
					errs <- fmt.Errorf("bounds %d..%d, GetLog(%d): %v", first, last, last, err)
					return
				}
			}
		}()
	}
	for i := uint64(1); i <= 400; i++ {
		if err := s.StoreLog(testLog(i, 1)); err != nil {
			t.Fatal(err)
		}
		if i%50 == 0 {
			if err := s.DeleteRange(i-49, i-10); err != nil {
				t.Fatal(err)
			}
		}
	}
	close(done)
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
