package repair

import (
	"bytes"
	"container/heap"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/rangedel"
)

// source yields internal keys in strictly increasing order. Key and
// Value are valid until the next call to Next.
type source interface {
	Next() bool
	Key() base.InternalKey
	Value() []byte
}

// mergeHeap orders sources by their current key; ties (one write found in
// two sources) go to the earlier source.
type mergeHeap struct {
	cmp     *base.Comparer
	sources []source
	order   []int // the position of each source in the argument list
}

func (h *mergeHeap) Len() int { return len(h.sources) }

func (h *mergeHeap) Less(i, j int) bool {
	if c := h.cmp.CompareInternal(h.sources[i].Key(), h.sources[j].Key()); c != 0 {
		return c < 0
	}
	return h.order[i] < h.order[j]
}

func (h *mergeHeap) Swap(i, j int) {
	h.sources[i], h.sources[j] = h.sources[j], h.sources[i]
	h.order[i], h.order[j] = h.order[j], h.order[i]
}

// lint:panic heap.Push is never called on a mergeHeap
func (h *mergeHeap) Push(x any) { panic("repair: mergeHeap.Push is not used") }

func (h *mergeHeap) Pop() any {
	n := len(h.sources) - 1
	h.sources, h.order = h.sources[:n], h.order[:n]
	return nil
}

// newMergeHeap positions every source at its first key and heaps those
// that have one.
func newMergeHeap(cmp *base.Comparer, sources []source) *mergeHeap {
	h := &mergeHeap{cmp: cmp}
	for i, s := range sources {
		if s.Next() {
			h.sources = append(h.sources, s)
			h.order = append(h.order, i)
		}
	}
	heap.Init(h)
	return h
}

// top returns the source with the smallest key.
func (h *mergeHeap) top() source { return h.sources[0] }

// advance moves the top source to its next key.
func (h *mergeHeap) advance() {
	if h.sources[0].Next() {
		heap.Fix(h, 0)
	} else {
		heap.Pop(h)
	}
}

// sink receives the newest state of each user key.
type sink interface {
	set(key, value []byte) error
	del(key []byte) error
}

// resolver keeps, for each user key, its newest version across all
// sources: the newest seqnum wins. A range tombstone with a higher seqnum
// than that version deletes the key (every older version too). A point
// tombstone hides the key; it is written out only under a comparer with
// version suffixes, where it also hides older versions of its prefix
// stored under other user keys.
type resolver struct {
	cmp  *base.Comparer
	dels *rangedel.Set
	out  sink
	rep  *Report
	// blobs reads separated values (nil: none can be read).
	blobs *blobFiles

	ukey, value []byte // the newest version of the current user key (owned)
	kind        base.Kind
	seq         base.SeqNum
}

// run drains the heap into out.
func (r *resolver) run(h *mergeHeap) error {
	for h.Len() > 0 {
		k, v := h.top().Key(), h.top().Value()
		if r.ukey != nil && r.cmp.Equal(k.UserKey, r.ukey) {
			r.older(k, v)
			h.advance()
			continue
		}
		r.ukey = append(r.ukey[:0], k.UserKey...)
		r.value = append(r.value[:0], v...)
		r.kind, r.seq = k.Kind(), k.SeqNum()
		if err := r.emit(); err != nil {
			return err
		}
		h.advance()
	}
	return nil
}

// older accounts for an older version of the current user key: a second
// copy of the newest one (same seqnum), or a version it shadows.
func (r *resolver) older(k base.InternalKey, v []byte) {
	if k.SeqNum() == r.seq {
		if k.Kind() != r.kind || !bytes.Equal(v, r.value) {
			r.rep.Conflicts++
		}
		return
	}
	r.rep.Shadowed++
}

// emit writes the newest version of the current user key, unless it is
// deleted.
func (r *resolver) emit() error {
	switch {
	case r.dels.Covers(r.ukey, r.seq, base.SeqNumMax):
		r.rep.Shadowed++
		return nil
	case r.kind == base.KindMerge:
		// Its value is a fold over the older versions, which repair,
		// keeping only the newest, would lose.
		return base.InvalidArgumentf("repair: key %q holds merge operands, which repair does not resolve", r.ukey)
	case r.kind == base.KindBlobValue:
		return r.emitBlob()
	case r.kind == base.KindSet:
		r.rep.Keys++
		return r.out.set(r.ukey, r.value)
	case r.cmp.SuffixFree():
		return nil // a deleted key: nothing older is written either
	}
	r.rep.Tombstones++
	return r.out.del(r.ukey)
}

// emitBlob writes the current key's separated value, read from its blob
// file. A value that cannot be read is lost (an older version is not
// written in its place: it was overwritten).
func (r *resolver) emitBlob() error {
	var v []byte
	path, err := "", error(base.InvalidArgumentf("no blob files"))
	if r.blobs != nil {
		v, path, err = r.blobs.read(r.value)
	}
	if err != nil {
		r.rep.Losses = append(r.rep.Losses, Loss{File: path, Offset: -1, End: -1, What: "separated value",
			Smallest: bytes.Clone(r.ukey), Largest: bytes.Clone(r.ukey), HasSmallest: true, HasLargest: true,
			MinSeq: r.seq, MaxSeq: r.seq, HasMinSeq: true, HasMaxSeq: true, Reason: err.Error()})
		return nil
	}
	r.rep.Keys++
	return r.out.set(r.ukey, v)
}
