package tempest

import (
	"github.com/tempestdb/tempest/internal/base"
)

// getFiltered is Get under a VisibilityFilter. The filter needs each version's rank
// among the kept versions of its prefix, so the read walks the prefix's
// group from its start: back from the key to the group's first entry, then
// forward, counting kept versions, up to the first entry at or after the
// key that decides the result.
//
// bs, if not nil, is an indexed batch read through.
func (d *DB) getFiltered(rs *readState, key []byte, seq base.SeqNum, bs *batchSnapshot) ([]byte, error) {
	rd, err := d.rangeDelView(rs, seq)
	if err != nil {
		return nil, err
	}
	rd.addBatch(bs)
	it, parts, err := d.newInternalIter(rs, bs, nil)
	if err != nil {
		return nil, err
	}
	defer func() {
		it.Close()
		parts.release()
	}()
	cmp := d.cmp
	prefix := cmp.Prefix(key)
	same := func() bool { return cmp.HasPrefix(it.Key().UserKey, prefix) }

	ok := it.SeekLT(base.InternalKey{UserKey: key, Trailer: base.TrailerMax})
	for ok && same() {
		ok = it.Prev()
	}
	if ok {
		ok = it.Next()
	} else if it.Error() == nil {
		ok = it.First()
	}
	versions := 0
	var decided []byte // user key whose newest visible version was seen
	for ; ok && same(); ok = it.Next() {
		k := it.Key()
		if tooNew(k.SeqNum(), seq) || rd.covered(k) || (decided != nil && cmp.Equal(k.UserKey, decided)) {
			continue
		}
		atOrAfter := cmp.Compare(k.UserKey, key) >= 0
		if !k.Kind().IsValue() {
			if atOrAfter {
				return nil, ErrNotFound
			}
			decided = append(decided[:0], k.UserKey...)
			continue
		}
		if !d.opts.VisibilityFilter.Keep(VisibilityEntry{Key: k.UserKey, Value: filterValue(k.Kind(), it.Value()), SeqNum: uint64(k.SeqNum()), Version: versions}) {
			continue // as if never written: an older version may show
		}
		if atOrAfter {
			if k.Kind() == base.KindBlobValue {
				return d.blobs.readCached(it.Value(), nil)
			}
			return append([]byte{}, it.Value()...), nil
		}
		versions++
		decided = append(decided[:0], k.UserKey...)
	}
	if err := it.Error(); err != nil {
		return nil, err
	}
	return nil, ErrNotFound
}
