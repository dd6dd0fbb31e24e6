package tempest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/tempestdb/tempest/vfs"
)

// TestFaultLinearizability runs 16 writers, 16 readers, a snapshot
// holder and a goroutine looping Compact against one DB (MemFS, a small
// memtable, background flushes and compactions on goroutines) for a
// bounded time, records every Set and Get with its call and return times,
// and checks each key's history with porcupine against a register: every
// Get returns the value of the last Set linearized before it. Every
// written value is unique, so the check is exact. (Without the Compact
// loop a run saw about four compactions, too few for a Get to race one.)
//
// Snapshots are checked exactly, without porcupine: each Set goes through
// Apply and its WriteToken gives its seqnum, so a snapshot at seqnum s must
// read, for each key, the value of the Set with the largest seqnum <= s,
// and read it again the same after more writes.
func TestFaultLinearizability(t *testing.T) {
	const (
		writers, readers = 16, 16
		keys             = 8
		maxOps           = 1500 // per goroutine
		runFor           = 2 * time.Second
	)
	opts := faultBaseOptions(vfs.NewMem())
	opts.Scheduler = nil // background flushes on goroutines
	d, err := Open("/db", opts)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	start := time.Now()
	now := func() int64 { return time.Since(start).Nanoseconds() }
	key := func(i int) string { return fmt.Sprintf("key%d", i%keys) }

	type regInput struct {
		key   string
		set   bool
		value string
	}
	type write struct{ key, value string }
	var (
		mu      sync.Mutex
		history []porcupine.Operation
		bySeq   = map[uint64]write{}
		errs    []error
		wg      sync.WaitGroup
	)
	record := func(op porcupine.Operation) {
		mu.Lock()
		history = append(history, op)
		mu.Unlock()
	}
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < maxOps && time.Since(start) < runFor; n++ {
				k, v := key(w+n*3), fmt.Sprintf("w%d-%d", w, n)
				b := d.NewBatch()
				if err := b.Set([]byte(k), []byte(v)); err != nil {
					fail(err)
					return
				}
				call := now()
				tok, err := d.Apply(b, &WriteOptions{Sync: n%16 == 0})
				ret := now()
				if err != nil {
					fail(fmt.Errorf("set %s: %w", k, err))
					return
				}
				mu.Lock()
				bySeq[tok.SeqNum()] = write{k, v}
				mu.Unlock()
				record(porcupine.Operation{ClientId: w, Input: regInput{k, true, v}, Call: call, Return: ret})
			}
		}()
	}
	for r := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < maxOps && time.Since(start) < runFor; n++ {
				k := key(r + n)
				call := now()
				v, err := d.Get([]byte(k))
				ret := now()
				if err != nil && !errors.Is(err, ErrNotFound) {
					fail(fmt.Errorf("get %s: %w", k, err))
					return
				}
				record(porcupine.Operation{ClientId: writers + r, Input: regInput{key: k}, Output: string(v), Call: call, Return: ret})
			}
		}()
	}
	// Flushes and compactions run all along: a read racing them must still
	// return a state that existed during the call.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for time.Since(start) < runFor {
			if err := faultCompact(d); err != nil {
				fail(fmt.Errorf("compact: %w", err))
				return
			}
		}
	}()
	type snapRead struct {
		seq  uint64
		seen map[string]string
	}
	var snaps []snapRead
	wg.Add(1)
	go func() {
		defer wg.Done()
		for time.Since(start) < runFor && len(snaps) < 200 {
			s := d.NewSnapshot()
			read := func() map[string]string {
				m := map[string]string{}
				for i := range keys {
					if v, err := s.Get([]byte(key(i))); err == nil {
						m[key(i)] = string(v)
					} else if !errors.Is(err, ErrNotFound) {
						fail(fmt.Errorf("snapshot get: %w", err))
					}
				}
				return m
			}
			first := read()
			time.Sleep(time.Millisecond)
			if again := read(); fmt.Sprint(again) != fmt.Sprint(first) {
				fail(fmt.Errorf("snapshot %d read %v, then %v", s.SeqNum(), first, again))
			}
			snaps = append(snaps, snapRead{s.SeqNum(), first})
			s.Close()
		}
	}()
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}

	model := porcupine.Model{
		Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
			m := map[string][]porcupine.Operation{}
			var order []string
			for _, op := range h {
				k := op.Input.(regInput).key
				if _, ok := m[k]; !ok {
					order = append(order, k)
				}
				m[k] = append(m[k], op)
			}
			var out [][]porcupine.Operation
			for _, k := range order {
				out = append(out, m[k])
			}
			return out
		},
		Init: func() any { return "" },
		Step: func(state, input, output any) (bool, any) {
			in := input.(regInput)
			if in.set {
				return true, in.value
			}
			return output.(string) == state.(string), state
		},
	}
	res := porcupine.CheckOperationsTimeout(model, history, 30*time.Second)
	if res == porcupine.Illegal {
		t.Fatalf("history of %d operations is not linearizable", len(history))
	}

	// Snapshots: the last write to each key at or below the snapshot.
	seqs := make([]uint64, 0, len(bySeq))
	for s := range bySeq {
		seqs = append(seqs, s)
	}
	for _, sr := range snaps {
		want := map[string]string{}
		best := map[string]uint64{}
		for _, s := range seqs {
			if w := bySeq[s]; s <= sr.seq && s >= best[w.key] {
				best[w.key], want[w.key] = s, w.value
			}
		}
		if fmt.Sprint(want) != fmt.Sprint(sr.seen) {
			t.Errorf("snapshot at %d read %v, want %v", sr.seq, sr.seen, want)
		}
	}
	m := d.Metrics()
	faultFigures(t, "linearizability: %d Set/Get operations on %d keys by %d goroutines, %d flushes, %d compactions: porcupine %s; %d snapshots exact",
		len(history), keys, writers+readers, m.Flushes, m.Compactions, res, len(snaps))
}

// faultSnapshotAtBug: snapshot.go (NewSnapshotAt) and compaction.go (the
// horizon): a compaction keeps, for each key, only the newest version
// below each open snapshot and below the present, so versions between two
// snapshots are dropped. NewSnapshotAt refuses only tokens below the
// earliest snapshot (the horizon), so it accepts a token between two
// snapshots whose versions are gone, and the new snapshot reads an older
// value: here a delete dropped by compaction resurrects the value before
// it.
const faultSnapshotAtBug = "NewSnapshotAt accepts a token between two open snapshots after a compaction dropped the versions it saw, and reads stale data"

// TestFaultSnapshotAtTokenAfterCompaction: a snapshot at a WriteToken
// must read exactly at the token, or NewSnapshotAt must refuse the token.
func TestFaultSnapshotAtTokenAfterCompaction(t *testing.T) {
	d, err := Open("/db", faultBaseOptions(vfs.NewMem()))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	apply := func(del bool, v string) WriteToken {
		b := d.NewBatch()
		if del {
			b.Delete([]byte("k"))
		} else {
			b.Set([]byte("k"), []byte(v))
		}
		tok, err := d.Apply(b, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Flush(); err != nil {
			t.Fatal(err)
		}
		return tok
	}
	apply(false, "v1")
	s1 := d.NewSnapshot()
	defer s1.Close()
	deleted := apply(true, "")
	apply(false, "v3")
	s2 := d.NewSnapshot()
	defer s2.Close()
	if err := faultCompact(d); err != nil {
		t.Fatal(err)
	}
	s, err := d.NewSnapshotAt(deleted)
	if errors.Is(err, ErrInvalidArgument) {
		return // refused: fine
	}
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, err := s.Get([]byte("k")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("regression of a fixed bug: %s (read at the delete's token: %q, %v)", faultSnapshotAtBug, v, err)
	}
}
