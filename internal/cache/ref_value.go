package cache

import (
	"fmt"
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

// newRefValue returns a refValue holding buf with one reference.
//
// refValues are not recycled: a Handle released twice then finds a
// negative count on a dead value instead of taking a reference from
// another value, which would free that value's buffer under its readers.
func newRefValue(buf []byte) *refValue {
	v := &refValue{buf: buf}
	v.refs.Store(1)
	return v
}

func (v *refValue) ref() { v.refs.Add(1) }

func (v *refValue) unref() {
	switch n := v.refs.Add(-1); {
	case n == 0:
		manual.Free(v.buf)
		v.buf = nil
	case n < 0 && invariants.Enabled:
		panic(fmt.Sprintf("cache: value released %d times too often", -n))
	}
}
