package tempest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tempestdb/tempest/vfs"
)

// modelState is a sorted key/value map: the oracle for reads.
type modelState map[string]string

func (m modelState) clone() modelState {
	c := make(modelState, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// sortedKeys returns the keys in [lower, upper) in order.
func (m modelState) sortedKeys(lower, upper []byte) []string {
	var ks []string
	for k := range m {
		if lower != nil && k < string(lower) {
			continue
		}
		if upper != nil && k >= string(upper) {
			continue
		}
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// TestRandomOpsAgainstModel runs thousands of random writes, deletes,
// gets, flushes, reopens and iterator walks (both directions, with
// bounds, at snapshots), checking every read against a model map.
func TestRandomOpsAgainstModel(t *testing.T) { runRandomOpsAgainstModel(t, false) }

// TestRandomOpsAgainstModelTTL runs the same operations under a TTLFilter
// with a fake clock that advances with every operation, so that values
// expire while flushes and compactions drop them; the model hides an
// expired value at every read, as the filter does.
func TestRandomOpsAgainstModelTTL(t *testing.T) { runRandomOpsAgainstModel(t, true) }

func runRandomOpsAgainstModel(t *testing.T, ttl bool) {
	seed := testSeed(t)
	rng := newRand(seed)
	fs := vfs.NewMem()
	opts := smallOptions(fs)
	// A few iterator seeks through a lone L0 file move it down
	// (read-triggered compactions), among the score-based ones.
	opts.ReadCompactionMinSeeks, opts.ReadCompactionBytesPerSeek = 4, 1<<20
	clock := &fakeClock{}
	clock.ns.Store(int64(time.Hour))
	const ttlFor = 10 * time.Second
	// view is what a read sees of a model state: under the filter, values
	// whose timestamp is ttlFor old or more are gone.
	view := func(m modelState) modelState { return m }
	expired := 0 // values the view hid: the filter must have work to do
	if ttl {
		opts.Clock = clock
		opts.VisibilityFilter = &TTLFilter{TTL: ttlFor, Clock: clock}
		view = func(m modelState) modelState {
			now := clock.Now()
			v := make(modelState, len(m))
			for k, val := range m {
				if ts, ok := ValuePrefixTimestamp(nil, []byte(val)); !ok || now.Sub(ts) < ttlFor {
					v[k] = val
				} else {
					expired++
				}
			}
			return v
		}
	}
	var compactions, readCompactions, flushes atomic.Int64
	opts.EventListener = &EventListener{
		CompactionEnd: func(info CompactionInfo) {
			compactions.Add(1)
			if info.Kind == "read" {
				readCompactions.Add(1)
			}
		},
		FlushEnd: func(FlushInfo) { flushes.Add(1) },
	}
	d := mustOpen(t, "/db", opts)
	defer func() { d.Close() }()

	model := modelState{}
	type snap struct {
		s     *Snapshot
		state modelState
	}
	var snaps []snap
	key := func() []byte { return fmt.Appendf(nil, "k%03d", rng.IntN(400)) }

	// Enough operations for a thousand or more flushes and compactions
	// with smallOptions; TEMPEST_MODEL_OPS changes the count.
	ops := envInt(t, "TEMPEST_MODEL_OPS", 40000)
	for op := range ops {
		clock.advance(time.Duration(rng.IntN(60)) * time.Millisecond)
		switch r := rng.IntN(100); {
		case r < 45: // batch of sets and deletes
			b := d.NewBatch()
			pending := map[string]*string{}
			var ranges [][2]string
			for range 1 + rng.IntN(5) {
				k := key()
				if rng.IntN(25) == 0 {
					// A range tombstone deletes what was written before it:
					// before the batch, and the batch's earlier writes.
					lo, hi := string(key()), string(key())
					if lo > hi {
						lo, hi = hi, lo
					}
					if lo == hi {
						continue
					}
					if err := b.DeleteRange([]byte(lo), []byte(hi)); err != nil {
						t.Fatal(err)
					}
					ranges = append(ranges, [2]string{lo, hi})
					for pk := range pending {
						if pk >= lo && pk < hi {
							delete(pending, pk)
						}
					}
					continue
				}
				if rng.IntN(4) == 0 {
					b.Delete(k)
					pending[string(k)] = nil
				} else {
					v := fmt.Sprintf("v%d-%s", op, bytes.Repeat([]byte{'x'}, rng.IntN(120)))
					if ttl {
						v = string(stamped(clock.Now(), v))
					}
					b.Set(k, []byte(v))
					pending[string(k)] = &v
				}
			}
			if _, err := d.Apply(b, &WriteOptions{Sync: rng.IntN(10) == 0}); err != nil {
				t.Fatalf("op %d: apply: %v", op, err)
			}
			for _, r := range ranges {
				for mk := range model {
					if mk >= r[0] && mk < r[1] {
						delete(model, mk)
					}
				}
			}
			for k, v := range pending {
				if v == nil {
					delete(model, k)
				} else {
					model[k] = *v
				}
			}
		case r < 70:
			k := key()
			got, err := d.Get(k)
			want, ok := view(model)[string(k)]
			if ok != (err == nil) || (ok && string(got) != want) || (!ok && !errors.Is(err, ErrNotFound)) {
				t.Fatalf("op %d: get %s = %q, %v; want %q, %v", op, k, got, err, want, ok)
			}
		case r < 80:
			checkIterator(t, rng, d.NewIter, view(model), op)
		case r < 85:
			if len(snaps) < 4 {
				snaps = append(snaps, snap{d.NewSnapshot(), model.clone()})
			}
		case r < 90:
			if len(snaps) > 0 {
				i := rng.IntN(len(snaps))
				s := snaps[i]
				checkIterator(t, rng, s.s.NewIter, view(s.state), op)
				k := key()
				got, err := s.s.Get(k)
				want, ok := view(s.state)[string(k)]
				if ok != (err == nil) || (ok && string(got) != want) {
					t.Fatalf("op %d: snapshot get %s = %q, %v; want %q", op, k, got, err, want)
				}
				if rng.IntN(3) == 0 {
					s.s.Close()
					snaps = slices.Delete(snaps, i, i+1)
				}
			}
		case r < 92:
			if err := d.Flush(); err != nil {
				t.Fatalf("op %d: flush: %v", op, err)
			}
		case r < 93:
			lo, hi := key(), key()
			if rng.IntN(3) == 0 {
				lo, hi = nil, nil
			}
			if err := d.Compact(context.Background(), lo, hi); err != nil {
				t.Fatalf("op %d: compact: %v", op, err)
			}
		case r < 95:
			for _, s := range snaps {
				s.s.Close()
			}
			snaps = nil
			mustClose(t, d)
			d = mustOpen(t, "/db", opts)
		}
	}
	for _, s := range snaps {
		s.s.Close()
	}
	if got, want := dump(t, d), view(model); len(got) != len(want) {
		t.Fatalf("final scan has %d keys, model %d", len(got), len(want))
	}
	t.Logf("%d flushes, %d compactions (%d read-triggered), %d expired values hidden",
		flushes.Load(), compactions.Load(), readCompactions.Load(), expired)
	if ttl && expired == 0 {
		t.Fatal("no value expired: the filter was never exercised")
	}
	if min := int64(ops / 60); flushes.Load() < min || compactions.Load() < min {
		t.Fatalf("only %d flushes and %d compactions: the test means to exercise many", flushes.Load(), compactions.Load())
	}
}

// checkIterator walks a fresh iterator with random bounds, seeks and
// direction changes and compares every step with the model.
func checkIterator(t *testing.T, rng *rand.Rand, newIter func(*IterOptions) (*Iterator, error), model modelState, op int) {
	t.Helper()
	var o IterOptions
	if rng.IntN(2) == 0 {
		o.LowerBound = fmt.Appendf(nil, "k%03d", rng.IntN(400))
	}
	if rng.IntN(2) == 0 {
		o.UpperBound = fmt.Appendf(nil, "k%03d", rng.IntN(400))
	}
	it, err := newIter(&o)
	if err != nil {
		t.Fatalf("op %d: new iter: %v", op, err)
	}
	defer it.Close()
	keys := model.sortedKeys(o.LowerBound, o.UpperBound)
	pos := -1 // index into keys; -1 or len(keys) when invalid
	check := func(what string, ok bool) {
		t.Helper()
		want := pos >= 0 && pos < len(keys)
		if ok != want || it.Valid() != want {
			t.Fatalf("op %d: %s: valid=%v, want %v (pos %d of %d, bounds %q %q)", op, what, ok, want, pos, len(keys), o.LowerBound, o.UpperBound)
		}
		if want && (string(it.Key()) != keys[pos] || string(it.Value()) != model[keys[pos]]) {
			t.Fatalf("op %d: %s: at %q=%q, want %q=%q", op, what, it.Key(), it.Value(), keys[pos], model[keys[pos]])
		}
	}
	for range 40 {
		switch rng.IntN(6) {
		case 0:
			pos = 0
			if len(keys) == 0 {
				pos = -1
			}
			check("First", it.First())
		case 1:
			pos = len(keys) - 1
			check("Last", it.Last())
		case 2:
			target := fmt.Sprintf("k%03d", rng.IntN(400))
			pos = sort.SearchStrings(keys, target)
			if pos == len(keys) {
				pos = -1
			}
			check("SeekGE "+target, it.SeekGE([]byte(target)))
		case 3:
			target := fmt.Sprintf("k%03d", rng.IntN(400))
			pos = sort.SearchStrings(keys, target) - 1
			check("SeekLT "+target, it.SeekLT([]byte(target)))
		case 4:
			if pos < 0 || pos >= len(keys) {
				continue
			}
			pos++
			check("Next", it.Next())
		case 5:
			if pos < 0 || pos >= len(keys) {
				continue
			}
			pos--
			check("Prev", it.Prev())
		}
	}
	if err := it.Error(); err != nil {
		t.Fatalf("op %d: iterator error: %v", op, err)
	}
}
