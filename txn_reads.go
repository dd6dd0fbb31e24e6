package tempest

import "github.com/tempestdb/tempest/internal/base"

// The read set of a read-write transaction: what its commit validates
// against the writes committed after its snapshot.
//
// What counts as a read:
//   - Get(key) reads key's whole prefix group (every version of
//     Comparer.Prefix(key)), found or not: a superset of the versions from
//     key up to the one it returns, which are what decide its result.
//     Under DefaultComparer that is key itself.
//   - An iterator reads, from each positioning call (First, Last, SeekGE,
//     SeekLT) on, the span from where it started to the farthest key it
//     reached in either direction; a call that runs off the end extends
//     the span to the bound on that side (UpperBound or LowerBound, the
//     logical prefix's group under LogicalPrefix, else the end of the
//     key space). Going backward, a yielded key's span starts at its
//     prefix group's start: the reverse scan read the group's newer
//     versions too. The span covers every key the iterator stepped over,
//     hidden or deleted ones included: a key appearing there would have
//     changed what it yielded.
//
// Reads the transaction answers from its own writes count too: that is
// conservative, and keeps the rule one rule.
type txnReads struct {
	cmp         *base.Comparer
	prefixes    map[string]struct{}
	prefixBytes int64
	ranges      []keyRange
	rangeBytes  int64 // the sum of the ranges' sizes
}

// notePoint records a Get of key.
func (r *txnReads) notePoint(key []byte) {
	p := r.cmp.Prefix(key)
	if _, ok := r.prefixes[string(p)]; ok {
		return
	}
	if r.prefixes == nil {
		r.prefixes = make(map[string]struct{})
	}
	r.prefixes[string(p)] = struct{}{}
	r.prefixBytes += int64(len(p)) + entryOverhead
}

// size is the bytes the read set counts for in the transaction's limit.
func (r *txnReads) size() int64 { return r.prefixBytes + r.rangeBytes }

// iterTracking is the link from an Iterator of a read-write transaction
// to its read set: span indexes the range the current positioning call
// started, or is -1.
type iterTracking struct {
	reads *txnReads
	span  int
}

// lowerLimit is the start of what the iterator can yield.
func (i *Iterator) lowerLimit() bound {
	switch {
	case i.lower != nil:
		return keyBound(i.lower, boundKey)
	case i.pfx.logical:
		return keyBound(i.pfx.p, boundPrefix)
	}
	return bound{}
}

// upperLimit is the end of what the iterator can yield.
func (i *Iterator) upperLimit() bound {
	switch {
	case i.upper != nil:
		return keyBound(i.upper, boundKeyExcl)
	case i.pfx.logical:
		return keyBound(i.pfx.p, boundPrefix)
	}
	return bound{}
}

// groupStart is the start of a span that yielded key going backward: the
// start of key's prefix group. The reverse scan read the whole group,
// and a newer version written before key would have replaced it.
func (i *Iterator) groupStart(key []byte) bound {
	if i.cmp.SuffixFree() {
		return keyBound(key, boundKey)
	}
	return keyBound(i.cmp.Prefix(key), boundPrefix)
}

// trackSeek records the span of a positioning call that started from
// the key from (a forward call's start, dir > 0; a backward call's end,
// exclusive), or from the iterator's bound on that side if from is nil,
// and returns ok, the call's result.
func (i *Iterator) trackSeek(ok bool, dir int, from []byte) bool {
	t := i.track
	if t == nil {
		return ok
	}
	r := keyRange{start: i.lowerLimit(), end: i.upperLimit()}
	switch {
	case dir > 0 && from != nil:
		r.start = keyBound(from, boundKey)
	case from != nil:
		r.end = keyBound(from, boundKeyExcl)
	}
	switch {
	case dir > 0 && ok:
		r.end = keyBound(i.key, boundKey)
	case ok:
		r.start = i.groupStart(i.key)
	}
	t.reads.ranges = append(t.reads.ranges, r)
	t.reads.rangeBytes += r.size()
	t.span = len(t.reads.ranges) - 1
	return ok
}

// trackStep extends the current span over a Next (dir > 0) or Prev
// that moved from a valid position, and returns ok, the step's result.
func (i *Iterator) trackStep(ok bool, dir int) bool {
	t := i.track
	if t == nil || t.span < 0 {
		return ok
	}
	r := &t.reads.ranges[t.span]
	was := r.size()
	defer func() { t.reads.rangeBytes += r.size() - was }()
	switch {
	case ok && dir > 0:
		r.end.raiseTo(i.cmp, i.key)
	case ok:
		r.start.lowerTo(i.cmp, i.groupStart(i.key))
	case dir > 0:
		r.end.setBound(i.upperLimit())
	default:
		r.start.setBound(i.lowerLimit())
	}
	return ok
}
