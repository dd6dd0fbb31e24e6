package tempest

import (
	"bytes"

	"github.com/tempestdb/tempest/internal/base"
)

// iterPrefix is the Prefix limit of an Iterator (IterOptions.Prefix).
//
// A byte prefix admits every key that begins with its bytes. A logical
// prefix (IterOptions.LogicalPrefix) admits the keys whose Comparer prefix
// equals it: the versions of one logical key. Only the logical question is
// the one the prefix filters of memtables and SSTs answer, so only a
// logical prefix skips sources.
//
// Under DefaultComparer both kinds are ranges of the key order, and the
// iterator narrows its bounds to them. Under a Comparer with suffixes the
// keys beginning with some bytes need not be contiguous (a shorter row's
// version suffix may begin with the remaining bytes), so a byte prefix
// only hides the keys outside it; a logical prefix group is contiguous
// (the order is prefix first), so the iterator stops at its ends.
type iterPrefix struct {
	p       []byte // nil: no limit
	logical bool
}

// prefixSuccessor returns the shortest key greater than every key that
// begins with p, or nil when there is none (p empty or all 0xff).
func prefixSuccessor(p []byte) []byte {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] != 0xff {
			s := append([]byte{}, p[:i+1]...)
			s[i]++
			return s
		}
	}
	return nil
}

// admits reports whether userKey lies in the prefix.
func (ip *iterPrefix) admits(cmp *base.Comparer, userKey []byte) bool {
	switch {
	case ip.p == nil:
		return true
	case ip.logical:
		return cmp.HasPrefix(userKey, ip.p)
	}
	return bytes.HasPrefix(userKey, ip.p)
}

// pastForward reports that userKey, and every key after it, is beyond a
// logical prefix group.
func (ip *iterPrefix) pastForward(cmp *base.Comparer, userKey []byte) bool {
	return ip.logical && cmp.ComparePrefixOf(userKey, ip.p) > 0
}

// pastBackward reports that userKey, and every key before it, is before a
// logical prefix group.
func (ip *iterPrefix) pastBackward(cmp *base.Comparer, userKey []byte) bool {
	return ip.logical && cmp.ComparePrefixOf(userKey, ip.p) < 0
}

// filterPrefix is the prefix to ask the sources' prefix filters about, or
// nil when a source's filter cannot rule the iterator's keys out.
func (ip *iterPrefix) filterPrefix() []byte {
	if ip.logical {
		return ip.p
	}
	return nil
}

// narrowBounds intersects [lower, upper) with the prefix's range when the
// Comparer orders keys bytewise, and returns the new bounds. Under another
// Comparer with a PrefixStart, a logical prefix raises lower to the start
// of its group.
func (ip *iterPrefix) narrowBounds(cmp *base.Comparer, lower, upper []byte) ([]byte, []byte) {
	if ip.p == nil {
		return lower, upper
	}
	if !cmp.SuffixFree() {
		if ip.logical && cmp.PrefixStart != nil {
			if start := cmp.PrefixStart(ip.p); lower == nil || cmp.Compare(start, lower) > 0 {
				lower = start
			}
		}
		return lower, upper
	}
	pl := ip.p
	var pu []byte
	if ip.logical {
		pu = append(append([]byte{}, ip.p...), 0) // the key right after p
	} else {
		pu = prefixSuccessor(ip.p)
	}
	if lower == nil || bytes.Compare(pl, lower) > 0 {
		lower = pl
	}
	if pu != nil && (upper == nil || bytes.Compare(pu, upper) < 0) {
		upper = pu
	}
	return lower, upper
}
