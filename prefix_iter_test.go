package tempest

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/testutil"
	"github.com/tempestdb/tempest/vfs"
)

// prefixModelKeys generates keys that share byte prefixes: short strings
// over {a, b, 0xff} (rows under a version-suffix Comparer, then versioned).
type prefixModelKeys struct {
	rng    *rand.Rand
	suffix bool
}

func (g prefixModelKeys) str(minLen, maxLen int) string {
	n := minLen + g.rng.IntN(maxLen-minLen+1)
	b := make([]byte, n)
	for i := range b {
		b[i] = "ab\xff"[g.rng.IntN(3)]
	}
	return string(b)
}

// row is a logical key. Under a suffix Comparer some rows are longer
// than the suffix, so that a row is not its own prefix as a key.
func (g prefixModelKeys) row() string {
	if g.suffix && g.rng.IntN(2) == 0 {
		return g.str(1, 3) + "12345678"
	}
	return g.str(1, 3)
}

func (g prefixModelKeys) key() string {
	if g.suffix {
		return string(versioned(g.row(), uint64(1+g.rng.IntN(4))))
	}
	return g.row()
}

// all returns every key of the key space.
func (g prefixModelKeys) all() []string {
	rows := []string{""}
	var out []string
	for range 3 {
		var next []string
		for _, r := range rows {
			for _, c := range "ab\xff" {
				next = append(next, r+string(byte(c)))
			}
		}
		rows = next
		out = append(out, rows...)
	}
	// out holds every row of length 1..3 (built by length).
	if !g.suffix {
		return out
	}
	var keys []string
	for _, r := range out {
		for ts := 1; ts <= 4; ts++ {
			keys = append(keys, string(versioned(r, uint64(ts))))
		}
	}
	return keys
}

// prefixView is state restricted to the keys an iterator with prefix p
// admits: those beginning with p, or with Comparer prefix p if logical.
func prefixView(cmp *base.Comparer, state map[string]string, p string, logical bool) *modelView {
	kept := map[string]string{}
	for k, v := range state {
		switch {
		case p == "":
		case logical && !cmp.HasPrefix([]byte(k), []byte(p)):
			continue
		case !logical && !bytes.HasPrefix([]byte(k), []byte(p)):
			continue
		}
		kept[k] = v
	}
	return newModelView(cmp, kept)
}

// TestPrefixIterModel checks iterators with IterOptions.Prefix (byte and
// logical prefixes, with random bounds, over the DB, snapshots and indexed
// batches) against the model, through random positioning calls in both
// directions, with writes, deletes, range deletes, flushes and
// compactions spreading the data over memtables, L0 and lower levels.
func TestPrefixIterModel(t *testing.T) {
	for _, suffix := range []bool{false, true} {
		t.Run(fmt.Sprintf("suffix=%v", suffix), func(t *testing.T) { testPrefixIterModel(t, suffix) })
	}
}

func testPrefixIterModel(t *testing.T, suffix bool) {
	seed := testSeed(t)
	rng := testutil.NewRand(seed)
	o := smallOptions(vfs.NewMem())
	if suffix {
		o.Comparer = FixedSuffixComparer(8)
	}
	d := mustOpen(t, "/db", o)
	defer func() { mustClose(t, d) }()
	cmp := d.cmp
	g := prefixModelKeys{rng: rng, suffix: suffix}
	state := map[string]string{}
	nextVal := 0
	value := func() string { nextVal++; return fmt.Sprintf("v%d", nextVal) }

	// write makes a write to the DB and the model. Under a suffix Comparer
	// it makes no point deletions (a tombstone of one version hides its
	// whole row from iterators, which the model does not follow).
	write := func() {
		switch r := rng.IntN(20); {
		case r < 12:
			k, v := g.key(), value()
			mustSet(t, d, k, v, NoSync)
			state[k] = v
		case r < 15 && !suffix:
			k := g.key()
			if err := d.Delete([]byte(k), NoSync); err != nil {
				t.Fatal(err)
			}
			delete(state, k)
		case r < 16:
			a, b := g.key(), g.key()
			if c := cmp.Compare([]byte(a), []byte(b)); c == 0 {
				return
			} else if c > 0 {
				a, b = b, a
			}
			if err := d.DeleteRange([]byte(a), []byte(b), NoSync); err != nil {
				t.Fatal(err)
			}
			state = applyBatchModel(cmp, state, []batchModelOp{{kind: base.KindRangeDelete, key: a, end: b}})
		case r < 19:
			if err := d.Flush(); err != nil {
				t.Fatal(err)
			}
		default:
			if err := d.Compact(context.Background(), nil, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	check := func(step string, it *Iterator, m *modelIter, p string, logical bool) {
		t.Helper()
		defer it.Close()
		trace, mismatch := walkModelIter(rng, g.key, it, m, 25)
		if mismatch != "" {
			t.Fatalf("seed %d %s: prefix %q logical %v bounds [%q, %q) after %v: %s",
				seed, step, p, logical, m.lower, m.upper, trace, mismatch)
		}
		if err := it.Error(); err != nil {
			t.Fatalf("seed %d %s: iterator: %v", seed, step, err)
		}
	}
	// randomIter opens an iterator with a random prefix and bounds, and its
	// model over state.
	randomIter := func(newIter func(*IterOptions) (*Iterator, error), state map[string]string) (*Iterator, *modelIter, string, bool) {
		io := &IterOptions{}
		var p string
		logical := false
		switch r := rng.IntN(10); {
		case r < 4:
			p = g.str(1, 3) // a byte prefix
		case r < 8:
			p, logical = g.row(), true
		case r < 9:
			p = "\xff\xff"[:1+rng.IntN(2)]
		}
		io.Prefix, io.LogicalPrefix = []byte(p), logical
		m := &modelIter{v: prefixView(cmp, state, p, logical), cur: -1}
		if rng.IntN(2) == 0 {
			m.lower = g.key()
			io.LowerBound = []byte(m.lower)
		}
		if rng.IntN(2) == 0 {
			m.upper = g.key()
			io.UpperBound = []byte(m.upper)
		}
		it, err := newIter(io)
		if err != nil {
			t.Fatal(err)
		}
		return it, m, p, logical
	}

	for round := range 300 {
		for range 1 + rng.IntN(8) {
			write()
		}
		name := fmt.Sprintf("round %d", round)
		it, m, p, logical := randomIter(d.NewIter, state)
		check(name+" db", it, m, p, logical)

		if round%5 == 0 {
			snap := d.NewSnapshot()
			snapState := maps.Clone(state)
			for range rng.IntN(6) {
				write()
			}
			it, m, p, logical := randomIter(snap.NewIter, snapState)
			check(name+" snapshot", it, m, p, logical)
			if err := snap.Close(); err != nil {
				t.Fatal(err)
			}
		}
		if round%5 == 2 {
			b := d.NewIndexedBatch()
			var ops []batchModelOp
			for range 1 + rng.IntN(5) {
				k, v := g.key(), value()
				if err := b.Set([]byte(k), []byte(v)); err != nil {
					t.Fatal(err)
				}
				ops = append(ops, batchModelOp{kind: base.KindSet, key: k, value: v})
			}
			it, m, p, logical := randomIter(b.NewIter, applyBatchModel(cmp, state, ops))
			check(name+" batch", it, m, p, logical)
		}
	}
	below := 0
	met := d.Metrics()
	for _, l := range met.Levels[1:] {
		below += l.Files
	}
	if below == 0 {
		t.Fatalf("seed %d: no table below L0: the run did not spread the data over levels", seed)
	}
	if suffix {
		return
	}
	// Every key of the key space through an exact logical prefix agrees
	// with Get.
	for _, k := range g.all() {
		it, err := d.NewIter(&IterOptions{Prefix: []byte(k), LogicalPrefix: true})
		if err != nil {
			t.Fatal(err)
		}
		want, ok := state[k]
		got := it.First()
		if got != ok || (ok && string(it.Value()) != want) {
			t.Fatalf("seed %d: logical prefix %q: got %v %q, want %v %q", seed, k, got, it.Value(), ok, want)
		}
		if err := it.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPrefixSuccessor: the exclusive end of a byte prefix's range.
func TestPrefixSuccessor(t *testing.T) {
	for _, c := range []struct{ p, want string }{
		{"", ""},
		{"a", "b"},
		{"user:42/", "user:420"},
		{"a\xff", "b"},
		{"a\xff\xff", "b"},
		{"\xfe\xff", "\xff"},
		{"\xff", ""},
		{"\xff\xff\xff", ""},
	} {
		got := prefixSuccessor([]byte(c.p))
		if string(got) != c.want || (c.want == "" && got != nil) {
			t.Errorf("prefixSuccessor(%q) = %q, want %q", c.p, got, c.want)
		}
	}
}

// TestPrefixIterAllFF: a prefix of 0xff bytes has no successor; the
// iterator yields every key that begins with it and nothing else, in both
// directions, and an empty prefix is no limit.
func TestPrefixIterAllFF(t *testing.T) {
	d := mustOpen(t, "/db", smallOptions(vfs.NewMem()))
	defer mustClose(t, d)
	keys := []string{"a", "\xfe", "\xfe\xff", "\xff", "\xff\x00", "\xff\xff", "\xff\xff\xff"}
	for _, k := range keys {
		mustSet(t, d, k, "v"+k, NoSync)
	}
	for _, c := range []struct {
		prefix string
		want   []string
	}{
		{"\xff", keys[3:]},
		{"\xff\xff", keys[5:]},
		{"\xfe", keys[1:3]},
		{"", keys},
	} {
		it, err := d.NewIter(&IterOptions{Prefix: []byte(c.prefix)})
		if err != nil {
			t.Fatal(err)
		}
		var fwd, back []string
		for ok := it.First(); ok; ok = it.Next() {
			fwd = append(fwd, string(it.Key()))
		}
		for ok := it.Last(); ok; ok = it.Prev() {
			back = append([]string{string(it.Key())}, back...)
		}
		if err := it.Close(); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(fwd) != fmt.Sprint(c.want) || fmt.Sprint(back) != fmt.Sprint(c.want) {
			t.Errorf("prefix %q: forward %q backward %q, want %q", c.prefix, fwd, back, c.want)
		}
	}
}

// TestPrefixIterSkipsSources: an iterator over one logical key leaves out
// the memtables and SSTs whose prefix filters rule it out, and still finds
// the key's newest version; a byte prefix skips none.
func TestPrefixIterSkipsSources(t *testing.T) {
	for _, suffix := range []bool{false, true} {
		t.Run(fmt.Sprintf("suffix=%v", suffix), func(t *testing.T) {
			o := smallOptions(vfs.NewMem())
			o.L0CompactionThreshold = 100 // keep the tables apart in L0
			key := func(row string, ts int) []byte { return []byte(row) }
			if suffix {
				o.Comparer = FixedSuffixComparer(8)
				key = func(row string, ts int) []byte { return versioned(row, uint64(ts)) }
			}
			d := mustOpen(t, "/db", o)
			defer mustClose(t, d)
			const tables = 20
			for i := range tables {
				for j := range 5 {
					row := fmt.Sprintf("row%02d/%d", i, j)
					if err := d.Set(key(row, 1), []byte("old"), NoSync); err != nil {
						t.Fatal(err)
					}
					if err := d.Set(key(row, 2), []byte("new"), NoSync); err != nil {
						t.Fatal(err)
					}
				}
				if err := d.Flush(); err != nil {
					t.Fatal(err)
				}
			}
			mustSet(t, d, string(key("row07/3", 3)), "newest", NoSync) // in the memtable

			open := func(io *IterOptions) (*Iterator, []string) {
				it, err := d.NewIter(io)
				if err != nil {
					t.Fatal(err)
				}
				var vals []string
				for ok := it.First(); ok; ok = it.Next() {
					vals = append(vals, string(it.Value()))
				}
				if err := it.Error(); err != nil {
					t.Fatal(err)
				}
				return it, vals
			}
			it, vals := open(&IterOptions{Prefix: []byte("row07/3"), LogicalPrefix: true})
			skipped := it.parts.skippedSources()
			it.Close()
			if len(vals) != 1 || vals[0] != "newest" {
				t.Fatalf("logical prefix: values %q, want [newest]", vals)
			}
			// 20 tables; the bloom filters may pass a few others.
			if skipped < tables-4 {
				t.Fatalf("logical prefix skipped %d sources, want at least %d", skipped, tables-4)
			}
			it, vals = open(&IterOptions{Prefix: []byte("row07/")})
			skipped = it.parts.skippedSources()
			it.Close()
			if len(vals) != 5 || skipped != 0 {
				t.Fatalf("byte prefix: values %q, skipped %d; want 5 values, 0 skipped", vals, skipped)
			}
			// With bounds that cut the logical key out, nothing is found.
			it, vals = open(&IterOptions{Prefix: []byte("row07/3"), LogicalPrefix: true, UpperBound: key("row07/2", 1)})
			it.Close()
			if len(vals) != 0 {
				t.Fatalf("logical prefix above the upper bound: values %q", vals)
			}
		})
	}
}
