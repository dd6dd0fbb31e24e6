package cache

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/tempestdb/tempest/internal/invariants"
	"github.com/tempestdb/tempest/internal/manual"
)

// refValue is a cached value and its reference count: one for the cache
// while an entry holds it, one per Handle. The buffer is freed when the
// count reaches zero.
type refValue struct {
	buf  []byte
	refs atomic.Int32
}

// refValuePool recycles refValues once their count reaches zero: a block
// miss would otherwise leave one behind as garbage. Invariants builds do
// not recycle them, so that a Handle released twice finds a negative count
// (and panics) instead of another value's.
var refValuePool = sync.Pool{New: func() any { return new(refValue) }}

// newRefValue returns a refValue holding buf with one reference.
func newRefValue(buf []byte) *refValue {
	v := refValuePool.Get().(*refValue)
	v.buf = buf
	v.refs.Store(1)
	return v
}

func (v *refValue) ref() { v.refs.Add(1) }

func (v *refValue) unref() {
	switch n := v.refs.Add(-1); {
	case n == 0:
		manual.Free(v.buf)
		v.buf = nil
		if !invariants.Enabled {
			refValuePool.Put(v)
		}
	case n < 0 && invariants.Enabled:
		panic(fmt.Sprintf("cache: value released %d times too often", -n))
	}
}
