package tempest

import (
	"slices"
	"sort"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/batchrepr"
	"github.com/tempestdb/tempest/internal/rangedel"
)

// batchSeq is the seqnum a read through an indexed batch gives the
// batch's entries and range tombstones: above every seqnum the DB hands
// out, so the batch's writes shadow the DB's, as they will once applied.
// A read accepts entries at batchSeq whatever its own seqnum (tooNew).
const batchSeq = base.SeqNumMax

// tooNew reports whether an entry at seqnum s is invisible to a read at
// seq: written after the read's seqnum, and not an entry of the batch the
// read goes through.
func tooNew(s, seq base.SeqNum) bool { return s > seq && s != batchSeq }

// batchIndex is the sorted view of an indexed batch that its reads use:
// one point entry per user key (the batch's latest for that key, as
// applying the batch keeps) and the batch's range tombstones.
//
// The index is brought up to date lazily, on a read: the entries appended
// since the last read are sorted and merged into a new points slice. A
// points slice, once built, is never modified, and the bytes it points
// into (the batch buffer) are never overwritten (Reset of an indexed
// batch allocates a new buffer), so a read may keep a snapshot of the
// index while the batch grows.
type batchIndex struct {
	cmp       *base.Comparer
	upTo      int    // bytes of the batch buffer indexed
	count     uint32 // entries indexed
	points    []batchPoint
	rangeDels []rangedel.Tombstone
	rdSet     *rangedel.Set // rangeDels fragmented; nil until needed
}

// batchPoint is one point entry of a batch, keyed at batchSeq. Its slices
// alias the batch buffer.
type batchPoint struct {
	key   base.InternalKey
	value []byte
}

// batchSnapshot is what one read sees of a batch: its state when the read
// began.
type batchSnapshot struct {
	points    []batchPoint
	rangeDels *rangedel.Set
}

func (x *batchIndex) reset() {
	*x = batchIndex{cmp: x.cmp, upTo: batchHeaderLen}
}

// snapshot indexes the entries appended to b since the last call and
// returns the batch's current state.
func (x *batchIndex) snapshot(b *Batch) (*batchSnapshot, error) {
	if x.count != b.count {
		if err := x.catchUp(b); err != nil {
			return nil, err
		}
	}
	if x.rdSet == nil {
		x.rdSet = rangedel.Build(x.cmp, x.rangeDels)
	}
	return &batchSnapshot{points: x.points, rangeDels: x.rdSet}, nil
}

func (x *batchIndex) catchUp(b *Batch) error {
	var fresh []batchPoint
	entries := batchrepr.Unstamped(b.data[x.upTo:], b.count-x.count)
	err := entries.ForEach(func(e batchrepr.Entry) error {
		if e.Kind == base.KindRangeDelete {
			x.rangeDels = append(x.rangeDels, rangedel.Tombstone{Start: e.Key, End: e.Value, Seq: batchSeq})
			x.rdSet = nil
			return nil
		}
		fresh = append(fresh, batchPoint{key: base.MakeInternalKey(e.Key, batchSeq, e.Kind), value: e.Value})
		return nil
	})
	if err != nil {
		return err // unreachable: the batch encoded these entries itself
	}
	// Sort stably and keep the last entry of each key: the later wins.
	slices.SortStableFunc(fresh, func(a, b batchPoint) int { return x.cmp.Compare(a.key.UserKey, b.key.UserKey) })
	n := 0
	for _, p := range fresh {
		if n > 0 && x.cmp.Equal(fresh[n-1].key.UserKey, p.key.UserKey) {
			fresh[n-1] = p
			continue
		}
		fresh[n] = p
		n++
	}
	x.points = mergePoints(x.cmp, x.points, fresh[:n])
	x.upTo, x.count = len(b.data), b.count
	return nil
}

// mergePoints merges two sorted, duplicate-free runs into a new slice;
// on equal keys the entry of fresh, the later write, wins.
func mergePoints(cmp *base.Comparer, old, fresh []batchPoint) []batchPoint {
	if len(old) == 0 {
		return fresh
	}
	out := make([]batchPoint, 0, len(old)+len(fresh))
	i, j := 0, 0
	for i < len(old) && j < len(fresh) {
		switch c := cmp.Compare(old[i].key.UserKey, fresh[j].key.UserKey); {
		case c < 0:
			out = append(out, old[i])
			i++
		case c > 0:
			out = append(out, fresh[j])
			j++
		default:
			out = append(out, fresh[j])
			i, j = i+1, j+1
		}
	}
	out = append(out, old[i:]...)
	return append(out, fresh[j:]...)
}

// batchIter is an internal iterator over a batch snapshot's points.
type batchIter struct {
	cmp    *base.Comparer
	points []batchPoint
	pos    int
}

func (it *batchIter) valid() bool { return it.pos >= 0 && it.pos < len(it.points) }

// search returns the index of the first point >= key.
func (it *batchIter) search(key base.InternalKey) int {
	return sort.Search(len(it.points), func(i int) bool {
		return it.cmp.CompareInternal(it.points[i].key, key) >= 0
	})
}

func (it *batchIter) SeekGE(key base.InternalKey) bool {
	it.pos = it.search(key)
	return it.valid()
}

func (it *batchIter) SeekLT(key base.InternalKey) bool {
	it.pos = it.search(key) - 1
	return it.valid()
}

func (it *batchIter) First() bool { it.pos = 0; return it.valid() }
func (it *batchIter) Last() bool  { it.pos = len(it.points) - 1; return it.valid() }

func (it *batchIter) Next() bool {
	if it.pos < len(it.points) {
		it.pos++
	}
	return it.valid()
}

func (it *batchIter) Prev() bool {
	if it.pos >= 0 {
		it.pos--
	}
	return it.valid()
}

func (it *batchIter) Key() base.InternalKey { return it.points[it.pos].key }
func (it *batchIter) Value() []byte         { return it.points[it.pos].value }
func (it *batchIter) Error() error          { return nil }
func (it *batchIter) Close() error          { return nil }
