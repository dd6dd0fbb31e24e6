package rangedel

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/testutil"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestCoversAgainstBruteForce(t *testing.T) {
	seed := testutil.Seed(t)
	r := rand.New(rand.NewPCG(seed, 1))
	key := func(i int) []byte { return fmt.Appendf(nil, "k%02d", i) }
	cmp := base.DefaultComparer
	for iter := 0; iter < 300; iter++ {
		var ts []Tombstone
		for range r.IntN(8) {
			a, b := r.IntN(30), r.IntN(30)
			ts = append(ts, Tombstone{Start: key(a), End: key(b), Seq: base.SeqNum(1 + r.IntN(20))})
		}
		s := Build(cmp, ts)
		prev := []byte(nil)
		for _, sp := range s.Spans() {
			if cmp.Compare(sp.Start, sp.End) >= 0 || (prev != nil && cmp.Compare(prev, sp.Start) > 0) {
				t.Fatalf("seed=%d: bad span order %v", seed, s.Spans())
			}
			prev = sp.End
		}
		for k := 0; k < 31; k++ {
			for seq := base.SeqNum(0); seq < 22; seq++ {
				limit := base.SeqNum(r.IntN(22))
				want := false
				for _, tb := range ts {
					if cmp.Compare(tb.Start, key(k)) <= 0 && cmp.Compare(key(k), tb.End) < 0 && tb.Seq > seq && tb.Seq <= limit {
						want = true
					}
				}
				if got := s.Covers(key(k), seq, limit); got != want {
					t.Fatalf("seed=%d: Covers(%s,%d,%d) = %v, want %v; tombstones %v", seed, key(k), seq, limit, got, want, ts)
				}
			}
		}
	}
}

func TestEmpty(t *testing.T) {
	var s *Set
	if !s.Empty() || s.Covers([]byte("a"), 0, 100) {
		t.Fatal("nil set covers")
	}
	if !Build(base.DefaultComparer, []Tombstone{{Start: []byte("b"), End: []byte("a"), Seq: 5}}).Empty() {
		t.Fatal("inverted tombstone kept")
	}
}
