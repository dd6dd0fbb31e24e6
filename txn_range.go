package tempest

import "github.com/tempestdb/tempest/internal/base"

// Key ranges of the conflict tracking: what a transaction read, and what
// a committed write covered, both in the Comparer's order.
//
// A bound is a key, the end just before a key, or a whole prefix group
// (every version of one logical key). An unset bound is unbounded. The
// tests below may answer "overlaps" for ranges that are disjoint (a
// prefix bound is compared by prefix, so it may take in the versions of
// the neighbouring key's prefix): the tracking is conservative, never the
// other way round.

type boundKind uint8

const (
	// boundKey: the key itself is inside (a start, or an inclusive end).
	boundKey boundKind = iota
	// boundKeyExcl: an end; the keys before the key are inside.
	boundKeyExcl
	// boundPrefix: every key whose prefix is the bound's key (a prefix)
	// is inside, as a start or an end.
	boundPrefix
)

type bound struct {
	key  []byte // owned
	kind boundKind
	set  bool
}

// keyRange is a range of user keys: start (boundKey or boundPrefix) to
// end (any kind).
type keyRange struct {
	start, end bound
}

func keyBound(k []byte, kind boundKind) bound {
	return bound{key: append([]byte(nil), k...), kind: kind, set: true}
}

// pointRange is the range holding exactly key.
func pointRange(key []byte) keyRange {
	return keyRange{start: keyBound(key, boundKey), end: keyBound(key, boundKey)}
}

// prefixRange is the range holding every version of prefix: under
// DefaultComparer, the key prefix.
func prefixRange(cmp *base.Comparer, prefix []byte) keyRange {
	if cmp.SuffixFree() {
		return pointRange(prefix)
	}
	return keyRange{start: keyBound(prefix, boundPrefix), end: keyBound(prefix, boundPrefix)}
}

// size is the bytes the range counts for in the memory limits.
func (r *keyRange) size() int64 { return int64(len(r.start.key)+len(r.end.key)) + entryOverhead }

// entryOverhead is what a tracked key or range counts for beyond its key
// bytes (slice headers, map entry).
const entryOverhead = 64

// endsBefore reports that every key up to end is before every key from
// start on. It answers false when it cannot tell.
func endsBefore(cmp *base.Comparer, end, start bound) bool {
	if !end.set || !start.set {
		return false
	}
	switch {
	case end.kind == boundPrefix && start.kind == boundPrefix:
		return cmp.ComparePrefix(end.key, start.key) < 0
	case end.kind == boundPrefix:
		// Keys with prefix <= P against keys >= S.
		return cmp.ComparePrefixOf(start.key, end.key) > 0
	case start.kind == boundPrefix:
		// Keys <= E (or < E) against keys with prefix >= P.
		return cmp.ComparePrefixOf(end.key, start.key) < 0
	case end.kind == boundKeyExcl:
		return cmp.Compare(end.key, start.key) <= 0
	}
	return cmp.Compare(end.key, start.key) < 0
}

// overlaps reports whether a and b may share a key.
func overlaps(cmp *base.Comparer, a, b *keyRange) bool {
	return !endsBefore(cmp, a.end, b.start) && !endsBefore(cmp, b.end, a.start)
}

// setKey makes b the key bound k of kind, reusing b's buffer (which b
// owns).
func (b *bound) setKey(k []byte, kind boundKind) {
	b.key = append(b.key[:0], k...)
	b.kind, b.set = kind, true
}

// setBound makes b a copy of o.
func (b *bound) setBound(o bound) {
	if !o.set {
		*b = bound{key: b.key[:0]}
		return
	}
	b.setKey(o.key, o.kind)
}

// lowerTo moves start b down to start nb if nb may start before it.
func (b *bound) lowerTo(cmp *base.Comparer, nb bound) {
	if b.set && (!nb.set || startsBefore(cmp, nb, *b)) {
		b.setBound(nb)
	}
}

// startsBefore reports whether start a may take in a key before start b.
func startsBefore(cmp *base.Comparer, a, b bound) bool {
	switch {
	case a.kind == boundPrefix && b.kind == boundPrefix:
		return cmp.ComparePrefix(a.key, b.key) < 0
	case a.kind == boundPrefix:
		// a's group may begin before b's key unless b's prefix is before a.
		return cmp.ComparePrefixOf(b.key, a.key) >= 0
	case b.kind == boundPrefix:
		return cmp.ComparePrefixOf(a.key, b.key) < 0
	}
	return cmp.Compare(a.key, b.key) < 0
}

// raiseTo moves end b up to key if key is after it.
func (b *bound) raiseTo(cmp *base.Comparer, key []byte) {
	if b.set && endsBefore(cmp, *b, bound{key: key, kind: boundKey, set: true}) {
		b.setKey(key, boundKey)
	}
}
