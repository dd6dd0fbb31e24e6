package cluster

import (
	"errors"

	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/server"
)

// getter reads the database or a snapshot of it.
type getter interface {
	Get(key []byte) ([]byte, error)
}

// view is one command's view of a shard's keys: reads from r, writes
// into b (nil for a read), expiry decided at now (Unix ms).
type view struct {
	r      getter
	b      *tempest.Batch
	prefix []byte // the shard's prefix
	now    int64
}

func (v *view) dataKey(key []byte) []byte { return withSub(v.prefix, subData, key...) }

// get returns key's live value and expiry; an expired value is absent.
func (v *view) get(key []byte) (val []byte, exp int64, ok bool, err error) {
	raw, err := v.r.Get(v.dataKey(key))
	if errors.Is(err, tempest.ErrNotFound) {
		return nil, 0, false, nil
	}
	if err != nil {
		return nil, 0, false, err
	}
	val, exp, err = server.DecodeValue(raw)
	if err != nil || (exp != 0 && exp <= v.now) {
		return nil, 0, false, err
	}
	return val, exp, true, nil
}

func (v *view) put(key, val []byte, exp int64) error {
	return v.b.Set(v.dataKey(key), server.EncodeValue(val, exp))
}

func (v *view) del(key []byte) error { return v.b.Delete(v.dataKey(key)) }
