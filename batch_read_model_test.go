package tempest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/testutil"
	"github.com/tempestdb/tempest/vfs"
)

// The model of reads through an indexed batch. A state is a map of user
// key to value (a deleted key is absent). The view through a batch is the
// DB's state with the batch's writes applied in order: a DeleteRange
// deletes the DB's keys in its range and the batch's earlier writes there,
// not its later ones (docs/decisions.md).

type batchModelOp struct {
	kind     base.Kind
	key, end string // end: a range deletion's end
	value    string
}

// applyBatchModel returns state with ops applied as one batch.
func applyBatchModel(cmp *base.Comparer, state map[string]string, ops []batchModelOp) map[string]string {
	out := make(map[string]string, len(state))
	for k, v := range state {
		out[k] = v
	}
	for _, op := range ops {
		switch op.kind {
		case base.KindSet:
			out[op.key] = op.value
		case base.KindDelete:
			delete(out, op.key)
		case base.KindRangeDelete:
			for k := range out {
				if cmp.Compare([]byte(k), []byte(op.key)) >= 0 && cmp.Compare([]byte(k), []byte(op.end)) < 0 {
					delete(out, k)
				}
			}
		}
	}
	return out
}

// modelView is a state sorted in the Comparer's order, read as the DB
// reads: one entry per prefix, the first in the Comparer's order.
type modelView struct {
	cmp  *base.Comparer
	keys []string
	vals map[string]string
}

func newModelView(cmp *base.Comparer, state map[string]string) *modelView {
	v := &modelView{cmp: cmp, vals: state}
	for k := range state {
		v.keys = append(v.keys, k)
	}
	slices.SortFunc(v.keys, func(a, b string) int { return cmp.Compare([]byte(a), []byte(b)) })
	return v
}

func (v *modelView) cmpKey(a, b string) int { return v.cmp.Compare([]byte(a), []byte(b)) }

// firstAtOrAfter returns the index of the first key >= k.
func (v *modelView) firstAtOrAfter(k string) int {
	i, _ := slices.BinarySearchFunc(v.keys, k, v.cmpKey)
	return i
}

// get is DB.Get: the first key at or after k with k's prefix.
func (v *modelView) get(k string) (string, bool) {
	i := v.firstAtOrAfter(k)
	if i < len(v.keys) && v.cmp.HasPrefix([]byte(v.keys[i]), v.cmp.Prefix([]byte(k))) {
		return v.vals[v.keys[i]], true
	}
	return "", false
}

// modelIter follows an Iterator over a modelView within bounds.
type modelIter struct {
	v            *modelView
	lower, upper string // "" is unbounded
	cur          int    // index into v.keys, or -1
}

// walkModelIter makes moves random moves (First, Last, SeekGE and SeekLT
// to keys from key, Next, Prev) on it and on the model m together. It
// returns the moves made and, at the first disagreement, a description of
// it; "" when they agree throughout.
func walkModelIter(rng *rand.Rand, key func() string, it *Iterator, m *modelIter, moves int) (trace []string, mismatch string) {
	for range moves {
		var ok, want bool
		var op string
		switch r := rng.IntN(8); {
		case r == 0:
			op, ok, want = "First", it.First(), m.first()
		case r == 1:
			op, ok, want = "Last", it.Last(), m.last()
		case r == 2:
			k := key()
			op, ok, want = fmt.Sprintf("SeekGE(%q)", k), it.SeekGE([]byte(k)), m.seekGE(k)
		case r == 3:
			k := key()
			op, ok, want = fmt.Sprintf("SeekLT(%q)", k), it.SeekLT([]byte(k)), m.seekLT(k)
		case r < 6:
			if m.cur < 0 {
				continue
			}
			op, ok, want = "Next", it.Next(), m.next()
		default:
			if m.cur < 0 {
				continue
			}
			op, ok, want = "Prev", it.Prev(), m.prev()
		}
		trace = append(trace, op)
		if ok != want || (ok && (string(it.Key()) != m.v.keys[m.cur] || string(it.Value()) != m.v.vals[m.v.keys[m.cur]])) {
			wantKey := ""
			if want {
				wantKey = m.v.keys[m.cur]
			}
			return trace, fmt.Sprintf("got %v %q, want %v %q (err %v)", ok, it.Key(), want, wantKey, it.Error())
		}
	}
	return trace, ""
}

func (m *modelIter) inBounds(i int) bool {
	k := m.v.keys[i]
	return (m.lower == "" || m.v.cmpKey(k, m.lower) >= 0) && (m.upper == "" || m.v.cmpKey(k, m.upper) < 0)
}

func (m *modelIter) prefixOf(i int) []byte { return m.v.cmp.Prefix([]byte(m.v.keys[i])) }

func (m *modelIter) at(i int) bool {
	if i < 0 || i >= len(m.v.keys) || !m.inBounds(i) {
		m.cur = -1
		return false
	}
	m.cur = i
	return true
}

// groupStart returns the first in-bounds index of i's prefix group.
func (m *modelIter) groupStart(i int) int {
	p := m.prefixOf(i)
	for i > 0 && m.v.cmp.HasPrefix([]byte(m.v.keys[i-1]), p) && m.inBounds(i-1) {
		i--
	}
	return i
}

func (m *modelIter) seekGE(k string) bool {
	if m.lower != "" && m.v.cmpKey(k, m.lower) < 0 {
		k = m.lower
	}
	return m.at(m.v.firstAtOrAfter(k))
}

func (m *modelIter) seekLT(k string) bool {
	if m.upper != "" && m.v.cmpKey(k, m.upper) > 0 {
		k = m.upper
	}
	i := m.v.firstAtOrAfter(k) - 1
	if i < 0 || !m.inBounds(i) {
		m.cur = -1
		return false
	}
	return m.at(m.groupStart(i))
}

func (m *modelIter) first() bool {
	if m.lower != "" {
		return m.seekGE(m.lower)
	}
	return m.at(0)
}

func (m *modelIter) last() bool {
	if m.upper != "" {
		return m.seekLT(m.upper)
	}
	if len(m.v.keys) == 0 {
		m.cur = -1
		return false
	}
	return m.at(m.groupStart(len(m.v.keys) - 1))
}

func (m *modelIter) next() bool {
	p := m.prefixOf(m.cur)
	i := m.cur
	for i < len(m.v.keys) && m.v.cmp.HasPrefix([]byte(m.v.keys[i]), p) {
		i++
	}
	return m.at(i)
}

func (m *modelIter) prev() bool {
	p := m.prefixOf(m.cur)
	i := m.cur
	for i >= 0 && m.v.cmp.HasPrefix([]byte(m.v.keys[i]), p) {
		i--
	}
	if i < 0 || !m.inBounds(i) {
		m.cur = -1
		return false
	}
	return m.at(m.groupStart(i))
}

// batchModelKeys generates the keys of a run: plain keys, or row/version
// keys under a version-suffix Comparer.
type batchModelKeys struct {
	rng    *rand.Rand
	suffix bool
}

func (g batchModelKeys) key() string {
	if g.suffix {
		return string(versioned(fmt.Sprintf("r%d", g.rng.IntN(8)), uint64(1+g.rng.IntN(5))))
	}
	return fmt.Sprintf("k%02d", g.rng.IntN(30))
}

// all returns every key of the key space.
func (g batchModelKeys) all() []string {
	var out []string
	if g.suffix {
		for r := range 8 {
			for ts := 1; ts <= 5; ts++ {
				out = append(out, string(versioned(fmt.Sprintf("r%d", r), uint64(ts))))
			}
		}
		return out
	}
	for i := range 30 {
		out = append(out, fmt.Sprintf("k%02d", i))
	}
	return out
}

// span returns start < end in cmp's order, or ok false.
func (g batchModelKeys) span(cmp *base.Comparer) (start, end string, ok bool) {
	a, b := g.key(), g.key()
	switch c := cmp.Compare([]byte(a), []byte(b)); {
	case c == 0:
		return "", "", false
	case c > 0:
		a, b = b, a
	}
	return a, b, true
}

// TestIndexedBatchModel checks reads through indexed batches (Get and
// iterators that change direction, with bounds) against the model, with
// writes to the DB and flushes between the batch's writes, then checks the
// DB after Apply and after reopening against the same rule. The filter
// run sets a Filter that keeps every value (they are too short to carry a
// timestamp), which sends Get down the filtered path.
func TestIndexedBatchModel(t *testing.T) {
	for _, c := range []struct{ suffix, filter bool }{{false, false}, {true, false}, {false, true}} {
		t.Run(fmt.Sprintf("suffix=%v,filter=%v", c.suffix, c.filter), func(t *testing.T) {
			testIndexedBatchModel(t, c.suffix, c.filter)
		})
	}
}

func testIndexedBatchModel(t *testing.T, suffix, filter bool) {
	seed := testSeed(t)
	rng := testutil.NewRand(seed)
	fs := vfs.NewMem()
	o := smallOptions(fs)
	if suffix {
		o.Comparer = FixedSuffixComparer(8)
	}
	if filter {
		o.VisibilityFilter = &TTLFilter{TTL: time.Hour}
	}
	d := mustOpen(t, "/db", o)
	defer func() { mustClose(t, d) }()
	cmp := d.cmp
	g := batchModelKeys{rng: rng, suffix: suffix}
	state := map[string]string{}
	nextVal := 0
	value := func() string { nextVal++; return fmt.Sprintf("v%d", nextVal) }

	// writeDB makes a write to the DB and the model; under a suffix
	// Comparer it makes no point deletions (a tombstone of one version
	// hides its whole row from iterators, which the model does not follow).
	writeDB := func() {
		switch r := rng.IntN(10); {
		case r < 6:
			k, v := g.key(), value()
			mustSet(t, d, k, v, NoSync)
			state[k] = v
		case r < 8 && !suffix:
			k := g.key()
			if err := d.Delete([]byte(k), NoSync); err != nil {
				t.Fatal(err)
			}
			delete(state, k)
		case r < 9:
			if s, e, ok := g.span(cmp); ok {
				if err := d.DeleteRange([]byte(s), []byte(e), NoSync); err != nil {
					t.Fatal(err)
				}
				state = applyBatchModel(cmp, state, []batchModelOp{{kind: base.KindRangeDelete, key: s, end: e}})
			}
		default:
			if err := d.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	writeBatch := func(b *Batch, ops []batchModelOp) []batchModelOp {
		switch r := rng.IntN(10); {
		case r < 6:
			op := batchModelOp{kind: base.KindSet, key: g.key(), value: value()}
			if err := b.Set([]byte(op.key), []byte(op.value)); err != nil {
				t.Fatal(err)
			}
			return append(ops, op)
		case r < 8 && !suffix:
			op := batchModelOp{kind: base.KindDelete, key: g.key()}
			if err := b.Delete([]byte(op.key)); err != nil {
				t.Fatal(err)
			}
			return append(ops, op)
		default:
			s, e, ok := g.span(cmp)
			if !ok {
				return ops
			}
			if err := b.DeleteRange([]byte(s), []byte(e)); err != nil {
				t.Fatal(err)
			}
			return append(ops, batchModelOp{kind: base.KindRangeDelete, key: s, end: e})
		}
	}
	checkGets := func(step string, get func([]byte) ([]byte, error), v *modelView) {
		t.Helper()
		for _, k := range g.all() {
			got, err := get([]byte(k))
			want, ok := v.get(k)
			switch {
			case !ok && !errors.Is(err, ErrNotFound):
				t.Fatalf("seed %d %s: get %q = %q, %v; want ErrNotFound", seed, step, k, got, err)
			case ok && (err != nil || string(got) != want):
				t.Fatalf("seed %d %s: get %q = %q, %v; want %q", seed, step, k, got, err, want)
			}
		}
	}
	checkIter := func(step string, it *Iterator, m *modelIter) {
		t.Helper()
		defer it.Close()
		trace, mismatch := walkModelIter(rng, g.key, it, m, 30)
		if mismatch != "" {
			t.Fatalf("seed %d %s: bounds [%q, %q) after %v: %s",
				seed, step, m.lower, m.upper, trace, mismatch)
		}
		if err := it.Error(); err != nil {
			t.Fatalf("seed %d %s: iterator: %v", seed, step, err)
		}
	}
	newIterPair := func(newIter func(*IterOptions) (*Iterator, error), v *modelView) (*Iterator, *modelIter) {
		m := &modelIter{v: v, cur: -1}
		var io *IterOptions
		if rng.IntN(2) == 0 {
			io = &IterOptions{}
			if rng.IntN(2) == 0 {
				m.lower = g.key()
				io.LowerBound = []byte(m.lower)
			}
			if rng.IntN(2) == 0 {
				m.upper = g.key()
				io.UpperBound = []byte(m.upper)
			}
		}
		it, err := newIter(io)
		if err != nil {
			t.Fatal(err)
		}
		return it, m
	}

	rounds := 60
	for round := range rounds {
		b := d.NewIndexedBatch()
		var ops []batchModelOp
		for step := range 25 {
			if rng.IntN(3) == 0 {
				writeDB()
			} else {
				ops = writeBatch(b, ops)
			}
			if rng.IntN(4) != 0 {
				continue
			}
			name := fmt.Sprintf("round %d step %d", round, step)
			view := newModelView(cmp, applyBatchModel(cmp, state, ops))
			checkGets(name, b.Get, view)
			it, m := newIterPair(b.NewIter, view)
			// The iterator sees the batch and the DB as they were when it
			// was created.
			for range rng.IntN(3) {
				if rng.IntN(2) == 0 {
					writeDB()
				} else {
					ops = writeBatch(b, ops)
				}
			}
			checkIter(name, it, m)
		}
		if _, err := d.Apply(b, NoSync); err != nil {
			t.Fatal(err)
		}
		state = applyBatchModel(cmp, state, ops)
		name := fmt.Sprintf("round %d applied", round)
		view := newModelView(cmp, state)
		checkGets(name, d.Get, view)
		it, m := newIterPair(d.NewIter, view)
		checkIter(name, it, m)
		if rng.IntN(10) == 0 {
			mustClose(t, d)
			d = mustOpen(t, "/db", o)
			name := fmt.Sprintf("round %d reopened", round)
			checkGets(name, d.Get, view)
			it, m := newIterPair(d.NewIter, view)
			checkIter(name, it, m)
		}
	}
}
