package base

import (
	"bytes"
	"testing"

	"github.com/tempestdb/tempest/internal/testutil"
)

// composed is the definition of Compare: prefix by ComparePrefix, then
// suffix by CompareSuffix. The fast paths must agree with it.
func composed(c *Comparer, a, b []byte) int {
	sa, sb := c.Split(a), c.Split(b)
	if r := c.ComparePrefix(a[:sa], b[:sb]); r != 0 {
		return r
	}
	return c.CompareSuffix(a[sa:], b[sb:])
}

func TestComparerFastPathsAgree(t *testing.T) {
	rng := testutil.NewRand(testutil.Seed(t))
	key := func() []byte {
		k := make([]byte, rng.IntN(6))
		for i := range k {
			k[i] = byte(rng.IntN(3)) // few symbols: many shared prefixes and ties
		}
		return k
	}
	for _, c := range []*Comparer{DefaultComparer, FixedSuffixComparer(1), FixedSuffixComparer(2)} {
		for range 20000 {
			a, b := key(), key()
			want := composed(c, a, b)
			if got := c.Compare(a, b); got != want {
				t.Fatalf("%s: Compare(%x, %x) = %d, composed %d", c.Name, a, b, got, want)
			}
			if got := c.Equal(a, b); got != (want == 0) {
				t.Fatalf("%s: Equal(%x, %x) = %v, composed %d", c.Name, a, b, got, want)
			}
			wantLogical := c.ComparePrefix(a[:c.Split(a)], b[:c.Split(b)])
			if got := c.CompareLogical(a, b); got != wantLogical {
				t.Fatalf("%s: CompareLogical(%x, %x) = %d, want %d", c.Name, a, b, got, wantLogical)
			}
			if got := c.HasPrefix(a, c.Prefix(b)); got != (wantLogical == 0) {
				t.Fatalf("%s: HasPrefix(%x, Prefix(%x)) = %v, want %v", c.Name, a, b, got, wantLogical == 0)
			}
			if !bytes.Equal(c.Prefix(a), a[:c.Split(a)]) {
				t.Fatalf("%s: Prefix(%x) = %x", c.Name, a, c.Prefix(a))
			}
		}
	}
}

// A Comparer without CompareKeys composes its parts.
func TestComparerWithoutCompareKeys(t *testing.T) {
	c := *FixedSuffixComparer(1)
	c.CompareKeys = nil
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"a1", "a2", 1}, {"a2", "a1", -1}, {"a1", "b1", -1}, {"a", "a1", -1}, {"ab", "ab", 0},
	} {
		if got := c.Compare([]byte(tc.a), []byte(tc.b)); got != tc.want {
			t.Errorf("Compare(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
