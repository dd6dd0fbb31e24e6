package tempest

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/internal/testutil"
	"github.com/tempestdb/tempest/vfs"
)

// The merge model test: random Sets, Deletes, DeleteRanges, Merges
// (Uint64AddMerger) and batches of them, with snapshots, indexed batches,
// flushes, compactions and reopens, checked against a model after each
// read: Get and random iterator walks in both directions, at the current
// state, at snapshots and through indexed batches. It runs under the
// default Comparer and under FixedSuffixComparer(8), whose keys are rows
// with versions (operands merge per exact user key). Seeds are printed;
// TEMPEST_MERGE_MODEL_OPS sets the number of operations per run.

// mergeModelEntry is a user key's state: a counter value or a tombstone
// (a key with no entry visible is absent from the model).
type mergeModelEntry struct {
	tomb bool
	v    uint64
}

type mergeModel map[string]mergeModelEntry

func (m mergeModel) clone() mergeModel {
	c := make(mergeModel, len(m))
	for k, e := range m {
		c[k] = e
	}
	return c
}

// merge adds n to key's counter: over a tombstone or nothing, from 0.
func (m mergeModel) merge(key []byte, n uint64) {
	e := m[string(key)]
	if e.tomb {
		e = mergeModelEntry{}
	}
	m[string(key)] = mergeModelEntry{v: e.v + n}
}

// deleteRange removes every version in [start, end): covered entries are
// invisible, not tombstones.
func (m mergeModel) deleteRange(ks metaKeySpace, start, end []byte) {
	for k := range m {
		if ks.compare([]byte(k), start) >= 0 && ks.compare([]byte(k), end) < 0 {
			delete(m, k)
		}
	}
}

type mergeModelKV struct {
	key string
	mergeModelEntry
}

// list returns the model's entries within [lower, upper) in key order.
func (m mergeModel) list(ks metaKeySpace, lower, upper []byte) []mergeModelKV {
	var out []mergeModelKV
	for k, e := range m {
		if (lower == nil || ks.compare([]byte(k), lower) >= 0) && (upper == nil || ks.compare([]byte(k), upper) < 0) {
			out = append(out, mergeModelKV{k, e})
		}
	}
	slices.SortFunc(out, func(a, b mergeModelKV) int { return ks.compare([]byte(a.key), []byte(b.key)) })
	return out
}

// get is Get's answer: the first version of key's prefix at or after key,
// unless it is a tombstone.
func (m mergeModel) get(ks metaKeySpace, key []byte) (uint64, bool) {
	l := m.list(ks, key, nil)
	if len(l) == 0 || !ks.samePrefix([]byte(l[0].key), key) || l[0].tomb {
		return 0, false
	}
	return l[0].v, true
}

// mergeModelIter is what an Iterator yields over a list: per prefix group,
// the first version from where the iterator enters the group, unless it
// is a tombstone.
type mergeModelIter struct {
	ks  metaKeySpace
	l   []mergeModelKV
	cur int
}

func (it *mergeModelIter) groupEnd(i int) int {
	j := i + 1
	for j < len(it.l) && it.ks.samePrefix([]byte(it.l[j].key), []byte(it.l[i].key)) {
		j++
	}
	return j
}

func (it *mergeModelIter) groupStart(i int) int {
	for i > 0 && it.ks.samePrefix([]byte(it.l[i-1].key), []byte(it.l[i].key)) {
		i--
	}
	return i
}

func (it *mergeModelIter) forwardFrom(i int) bool {
	for i < len(it.l) && it.l[i].tomb {
		i = it.groupEnd(i)
	}
	it.cur = -1
	if i < len(it.l) {
		it.cur = i
	}
	return it.cur >= 0
}

// backwardFrom yields the nearest group before index e, reading only the
// entries before e.
func (it *mergeModelIter) backwardFrom(e int) bool {
	for e > 0 {
		g := it.groupStart(e - 1)
		if !it.l[g].tomb {
			it.cur = g
			return true
		}
		e = g
	}
	it.cur = -1
	return false
}

func (it *mergeModelIter) search(k []byte) int {
	i, _ := slices.BinarySearchFunc(it.l, k, func(e mergeModelKV, k []byte) int { return it.ks.compare([]byte(e.key), k) })
	return i
}

func (it *mergeModelIter) entry() string {
	return fmt.Sprintf("%s=%d", it.ks.formatKey([]byte(it.l[it.cur].key)), it.l[it.cur].v)
}

// mergeReader is one of the read paths under test.
type mergeReader struct {
	name    string
	get     func([]byte) ([]byte, error)
	newIter func(*IterOptions) (*Iterator, error)
}

type mergeModelRun struct {
	t     *testing.T
	seed  uint64
	rng   *rand.Rand
	ks    metaKeySpace
	fs    vfs.FS
	opts  *Options
	d     *DB
	model mergeModel
	snaps []*Snapshot
	views []mergeModel // the model at each snapshot
	step  int
	trace []string
}

func TestMergeModel(t *testing.T) {
	for _, suffix := range []bool{false, true} {
		t.Run(fmt.Sprintf("suffix=%t", suffix), func(t *testing.T) {
			seed := testutil.Seed(t)
			runMergeModel(t, seed, suffix, envInt(t, "TEMPEST_MERGE_MODEL_OPS", 1500))
		})
	}
}

func runMergeModel(t *testing.T, seed uint64, suffix bool, nops int) {
	r := &mergeModelRun{t: t, seed: seed, rng: testutil.NewRand(seed), fs: vfs.NewMem(), model: mergeModel{}}
	r.ks = metaKeySpace{suffix: suffix, alphabet: "abc"}
	r.opts = mergeOptions(r.fs)
	r.opts.Comparer = r.ks.comparer()
	r.d = mustOpen(t, "db", r.opts)
	defer func() {
		r.releaseSnapshots()
		mustClose(t, r.d)
	}()
	for r.step = 0; r.step < nops; r.step++ {
		r.one()
	}
}

func (r *mergeModelRun) fail(format string, args ...any) {
	r.t.Helper()
	tail := r.trace
	if len(tail) > 30 {
		tail = tail[len(tail)-30:]
	}
	r.t.Fatalf("seed %d step %d: %s\nlast operations:\n  %s", r.seed, r.step, fmt.Sprintf(format, args...), strings.Join(tail, "\n  "))
}

func (r *mergeModelRun) note(format string, args ...any) {
	r.trace = append(r.trace, fmt.Sprintf("%d: ", r.step)+fmt.Sprintf(format, args...))
}

func (r *mergeModelRun) rangeBounds() ([]byte, []byte) {
	a, b := r.ks.bound(r.rng), r.ks.bound(r.rng)
	if c := r.ks.compare(a, b); c == 0 {
		return nil, nil
	} else if c > 0 {
		a, b = b, a
	}
	return a, b
}

// write adds one random write to w and the model.
func (r *mergeModelRun) write(w interface {
	Set(k, v []byte) error
	Delete(k []byte) error
	DeleteRange(s, e []byte) error
	Merge(k, v []byte) error
}, m mergeModel) {
	k := r.ks.key(r.rng)
	var err error
	switch x := r.rng.IntN(10); {
	case x < 2:
		n := r.rng.Uint64N(1000)
		r.note("Set(%s, %d)", r.ks.formatKey(k), n)
		err = w.Set(k, u64(n))
		m[string(k)] = mergeModelEntry{v: n}
	case x < 4:
		r.note("Delete(%s)", r.ks.formatKey(k))
		err = w.Delete(k)
		m[string(k)] = mergeModelEntry{tomb: true}
	case x < 5:
		s, e := r.rangeBounds()
		if s == nil {
			return
		}
		r.note("DeleteRange(%s, %s)", r.ks.formatKey(s), r.ks.formatKey(e))
		err = w.DeleteRange(s, e)
		m.deleteRange(r.ks, s, e)
	default:
		n := 1 + r.rng.Uint64N(100)
		r.note("Merge(%s, %d)", r.ks.formatKey(k), n)
		err = w.Merge(k, u64(n))
		m.merge(k, n)
	}
	if err != nil {
		r.fail("write: %v", err)
	}
}

// dbWriter writes straight to the DB.
type dbWriter struct{ d *DB }

func (w dbWriter) Set(k, v []byte) error         { return w.d.Set(k, v, NoSync) }
func (w dbWriter) Delete(k []byte) error         { return w.d.Delete(k, NoSync) }
func (w dbWriter) DeleteRange(s, e []byte) error { return w.d.DeleteRange(s, e, NoSync) }
func (w dbWriter) Merge(k, v []byte) error       { return w.d.Merge(k, v, NoSync) }

func (r *mergeModelRun) one() {
	d := r.d
	switch x := r.rng.IntN(100); {
	case x < 40:
		r.write(dbWriter{d}, r.model)
	case x < 48:
		b := d.NewBatch()
		r.note("batch {")
		for range 1 + r.rng.IntN(6) {
			r.write(b, r.model)
		}
		r.note("} applied")
		if _, err := d.Apply(b, NoSync); err != nil {
			r.fail("apply: %v", err)
		}
	case x < 53:
		r.indexedBatch()
	case x < 68:
		r.check(mergeReader{"db", d.Get, d.NewIter}, r.model)
	case x < 76:
		if len(r.snaps) > 0 {
			i := r.rng.IntN(len(r.snaps))
			s := r.snaps[i]
			r.check(mergeReader{fmt.Sprintf("snapshot %d", i), s.Get, s.NewIter}, r.views[i])
		}
	case x < 81:
		if len(r.snaps) < 4 {
			r.note("NewSnapshot")
			r.snaps = append(r.snaps, d.NewSnapshot())
			r.views = append(r.views, r.model.clone())
		} else {
			i := r.rng.IntN(len(r.snaps))
			r.note("release snapshot %d", i)
			if err := r.snaps[i].Close(); err != nil {
				r.fail("snapshot close: %v", err)
			}
			r.snaps = slices.Delete(r.snaps, i, i+1)
			r.views = slices.Delete(r.views, i, i+1)
		}
	case x < 88:
		r.note("Flush")
		if err := d.Flush(); err != nil {
			r.fail("flush: %v", err)
		}
	case x < 95:
		s, e := r.rangeBounds()
		r.note("Compact(%s, %s)", r.ks.formatKey(s), r.ks.formatKey(e))
		if err := d.Compact(context.Background(), s, e); err != nil {
			r.fail("compact: %v", err)
		}
	default:
		r.note("reopen")
		r.releaseSnapshots()
		if err := d.Close(); err != nil {
			r.fail("close: %v", err)
		}
		var err error
		if r.d, err = Open("db", r.opts); err != nil {
			r.fail("reopen: %v", err)
		}
	}
}

func (r *mergeModelRun) releaseSnapshots() {
	for _, s := range r.snaps {
		if err := s.Close(); err != nil {
			r.fail("snapshot close: %v", err)
		}
	}
	r.snaps, r.views = nil, nil
}

// indexedBatch writes to an indexed batch, checks reads through it, and
// applies or drops it.
func (r *mergeModelRun) indexedBatch() {
	b := r.d.NewIndexedBatch()
	m := r.model.clone()
	r.note("indexed batch {")
	for range 1 + r.rng.IntN(8) {
		r.write(b, m)
		if r.rng.IntN(3) == 0 {
			r.check(mergeReader{"indexed batch", b.Get, b.NewIter}, m)
		}
	}
	if r.rng.IntN(2) == 0 {
		r.note("} dropped")
		return
	}
	r.note("} applied")
	if _, err := r.d.Apply(b, NoSync); err != nil {
		r.fail("apply: %v", err)
	}
	r.model = m
}

// check compares a few Gets and an iterator walk of rd with m.
func (r *mergeModelRun) check(rd mergeReader, m mergeModel) {
	for range 3 {
		k := r.ks.bound(r.rng)
		got, err := rd.get(k)
		want, ok := m.get(r.ks, k)
		switch {
		case !ok && !errors.Is(err, ErrNotFound):
			r.fail("%s: Get(%s) = %x, %v; want not found", rd.name, r.ks.formatKey(k), got, err)
		case ok && (err != nil || len(got) != 8 || binary.LittleEndian.Uint64(got) != want):
			r.fail("%s: Get(%s) = %x, %v; want %d", rd.name, r.ks.formatKey(k), got, err, want)
		}
	}
	var o IterOptions
	if r.rng.IntN(2) == 0 {
		o.LowerBound, o.UpperBound = r.rangeBounds()
	}
	it, err := rd.newIter(&o)
	if err != nil {
		r.fail("%s: NewIter: %v", rd.name, err)
	}
	defer it.Close()
	mi := &mergeModelIter{ks: r.ks, l: m.list(r.ks, o.LowerBound, o.UpperBound), cur: -1}
	var walk []string
	for range 12 {
		var op string
		var ok, want bool
		switch x := r.rng.IntN(8); {
		case x == 0:
			op, ok, want = "First", it.First(), mi.forwardFrom(0)
		case x == 1:
			op, ok, want = "Last", it.Last(), mi.backwardFrom(len(mi.l))
		case x == 2:
			k := r.ks.bound(r.rng)
			if o.LowerBound != nil && r.ks.compare(k, o.LowerBound) < 0 {
				k = o.LowerBound
			}
			op, ok, want = "SeekGE("+r.ks.formatKey(k)+")", it.SeekGE(k), mi.forwardFrom(mi.search(k))
		case x == 3:
			k := r.ks.bound(r.rng)
			if o.UpperBound != nil && r.ks.compare(k, o.UpperBound) > 0 {
				k = o.UpperBound
			}
			op, ok, want = "SeekLT("+r.ks.formatKey(k)+")", it.SeekLT(k), mi.backwardFrom(mi.search(k))
		case x < 6:
			if mi.cur < 0 {
				continue
			}
			op, ok, want = "Next", it.Next(), mi.forwardFrom(mi.groupEnd(mi.cur))
		default:
			if mi.cur < 0 {
				continue
			}
			op, ok, want = "Prev", it.Prev(), mi.backwardFrom(mi.groupStart(mi.cur))
		}
		walk = append(walk, op)
		if ok != want {
			r.fail("%s: iterator [%s, %s) %s: valid %v, want %v (err %v)", rd.name,
				r.ks.formatKey(o.LowerBound), r.ks.formatKey(o.UpperBound), strings.Join(walk, " "), ok, want, it.Error())
		}
		if !ok {
			continue
		}
		got := fmt.Sprintf("%s=%d", r.ks.formatKey(it.Key()), binary.LittleEndian.Uint64(append(it.Value(), make([]byte, 8)...)))
		if len(it.Value()) != 8 || got != mi.entry() {
			r.fail("%s: iterator [%s, %s) %s: at %s (%d bytes), want %s", rd.name,
				r.ks.formatKey(o.LowerBound), r.ks.formatKey(o.UpperBound), strings.Join(walk, " "), got, len(it.Value()), mi.entry())
		}
	}
	if err := it.Error(); err != nil {
		r.fail("%s: iterator: %v", rd.name, err)
	}
}
