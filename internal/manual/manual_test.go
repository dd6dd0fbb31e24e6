package manual

import (
	"math/rand/v2"
	"testing"

	"github.com/tempestdb/tempest/internal/testutil"
)

func TestClasses(t *testing.T) {
	if got := classSize(numClasses - 1); got != maxSlabSize {
		t.Fatalf("largest class %d, want %d", got, maxSlabSize)
	}
	prev := 0
	for n := 1; n <= maxSlabSize; n++ {
		c := classOf(n)
		size := classSize(c)
		if size < n {
			t.Fatalf("classOf(%d) = %d of size %d: too small", n, c, size)
		}
		if c > 0 && classSize(c-1) >= n {
			t.Fatalf("classOf(%d) = %d, but class %d (size %d) fits", n, c, c-1, classSize(c-1))
		}
		if n > minClassSize && size-n > size/16 {
			t.Fatalf("size %d rounds to %d: more than 6.25%% waste", n, size)
		}
		if c < prev {
			t.Fatalf("classOf not monotonic at %d", n)
		}
		prev = c
	}
}

// TestNewFree allocates and frees buffers of random sizes, checking that
// live buffers never share memory: each is filled with its own byte and
// checked before it is freed.
func TestNewFree(t *testing.T) {
	rng := rand.New(rand.NewPCG(testutil.Seed(t), 1))
	type buf struct {
		b []byte
		v byte
	}
	var live []buf
	for i := range 20000 {
		if len(live) > 0 && rng.IntN(2) == 0 {
			j := rng.IntN(len(live))
			x := live[j]
			for k, c := range x.b {
				if c != x.v {
					t.Fatalf("op %d: buffer of %d bytes changed at %d: %#x, want %#x", i, len(x.b), k, c, x.v)
				}
			}
			Free(x.b)
			live[j] = live[len(live)-1]
			live = live[:len(live)-1]
			continue
		}
		n := 1 + rng.IntN(8<<10)
		if rng.IntN(50) == 0 {
			n = maxSlabSize + rng.IntN(1<<20)
		}
		b := New(n)
		if len(b) != n {
			t.Fatalf("New(%d) has len %d", n, len(b))
		}
		v := byte(i)
		for k := range b {
			b[k] = v
		}
		live = append(live, buf{b, v})
	}
	for _, x := range live {
		Free(x.b)
	}
}

func TestNewZeroAndFreeNil(t *testing.T) {
	if b := New(0); b != nil {
		t.Fatalf("New(0) = %v", b)
	}
	Free(nil)
}

func BenchmarkNewFree4K(b *testing.B) {
	b.ReportAllocs()
	for range b.N {
		Free(New(4200))
	}
}

func TestNewZeroed(t *testing.T) {
	for _, n := range []int{1, 300, 4096, maxSlabSize, maxSlabSize + 1, 4 << 20} {
		for range 3 {
			b := NewZeroed(n)
			for i, c := range b {
				if c != 0 {
					t.Fatalf("NewZeroed(%d)[%d] = %#x", n, i, c)
				}
			}
			for i := range b {
				b[i] = 0xff
			}
			Free(b)
		}
	}
}
