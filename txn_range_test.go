package tempest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/testutil"
)

// inRange is the definition of a key range's membership that the
// conflict tracking's tests approximate.
func inRange(cmp *base.Comparer, r *keyRange, k []byte) bool {
	if s := r.start; s.set {
		if s.kind == boundPrefix && cmp.ComparePrefixOf(k, s.key) < 0 || s.kind == boundKey && cmp.Compare(k, s.key) < 0 {
			return false
		}
	}
	if e := r.end; e.set {
		switch e.kind {
		case boundPrefix:
			return cmp.ComparePrefixOf(k, e.key) <= 0
		case boundKeyExcl:
			return cmp.Compare(k, e.key) < 0
		default:
			return cmp.Compare(k, e.key) <= 0
		}
	}
	return true
}

// TestTxnRangeOverlap checks the range tests of the conflict tracking
// against membership over a small key space, under DefaultComparer and a
// version-suffix Comparer: overlaps, touches and lowerTo are never wrong
// in the unsafe direction, and touches is exact for point writes.
func TestTxnRangeOverlap(t *testing.T) {
	seed := testutil.Seed(t)
	for _, cmp := range []*base.Comparer{DefaultComparer, FixedSuffixComparer(1)} {
		t.Run(cmp.Name, func(t *testing.T) {
			rng := testutil.NewRand(seed)
			var universe [][]byte
			for _, a := range "abc" {
				universe = append(universe, []byte{byte(a)})
				for _, b := range "abc" {
					universe = append(universe, []byte{byte(a), byte(b)})
					for _, c := range "abc" {
						universe = append(universe, []byte{byte(a), byte(b), byte(c)})
					}
				}
			}
			key := func() []byte { return universe[rng.IntN(len(universe))] }
			for i := range 20000 {
				a, b := randRange(rng, cmp, key), randRange(rng, cmp, key)
				shared := slices.ContainsFunc(universe, func(k []byte) bool { return inRange(cmp, &a, k) && inRange(cmp, &b, k) })
				if shared && !overlaps(cmp, &a, &b) {
					t.Fatalf("step %d: %s and %s share a key, overlaps says no", i, fmtRange(cmp, a), fmtRange(cmp, b))
				}
				rec := &writeRecord{}
				for range rng.IntN(4) {
					rec.keys = append(rec.keys, key())
				}
				slices.SortFunc(rec.keys, cmp.Compare)
				rec.keys = slices.CompactFunc(rec.keys, cmp.Equal)
				hit := slices.ContainsFunc(rec.keys, func(k []byte) bool { return inRange(cmp, &a, k) })
				if got := rec.touches(cmp, &a); got != hit {
					t.Fatalf("step %d: writes %q in %s: touches %v, want %v", i, rec.keys, fmtRange(cmp, a), got, hit)
				}
				nb := randRange(rng, cmp, key).start
				before := a
				before.start = bound{key: slices.Clone(a.start.key), kind: a.start.kind, set: a.start.set}
				a.start.lowerTo(cmp, nb)
				for _, k := range universe {
					wider := keyRange{start: nb, end: before.end}
					if (inRange(cmp, &before, k) || inRange(cmp, &wider, k)) && !inRange(cmp, &a, k) {
						t.Fatalf("step %d: lowering %s to start %q lost %q", i, fmtRange(cmp, before), nb.key, k)
					}
				}
			}
		})
	}
}

func randRange(rng *rand.Rand, cmp *base.Comparer, key func() []byte) keyRange {
	var r keyRange
	if rng.IntN(6) > 0 {
		if rng.IntN(3) == 0 {
			r.start = keyBound(cmp.Prefix(key()), boundPrefix)
		} else {
			r.start = keyBound(key(), boundKey)
		}
	}
	if rng.IntN(6) > 0 {
		switch rng.IntN(3) {
		case 0:
			r.end = keyBound(cmp.Prefix(key()), boundPrefix)
		case 1:
			r.end = keyBound(key(), boundKeyExcl)
		default:
			r.end = keyBound(key(), boundKey)
		}
	}
	return r
}

func fmtRange(cmp *base.Comparer, r keyRange) string {
	b := func(x bound) string {
		if !x.set {
			return "∞"
		}
		return fmt.Sprintf("%s/%d", cmp.Format(x.key), x.kind)
	}
	return "[" + b(r.start) + ", " + b(r.end) + "]"
}
