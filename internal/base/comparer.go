package base

import (
	"bytes"
	"fmt"
	"strconv"
)

// Comparer defines the order of user keys. Each user key is a prefix (its
// logical identity, such as a row) followed by an optional suffix (a
// version, such as a timestamp).
//
// Invariants every Comparer must keep:
//   - Split(k) is in [0, len(k)]; k[:Split(k)] is the prefix.
//   - Compare orders by prefix first (ComparePrefix), then by suffix
//     (CompareSuffix). It is a total order.
//   - If the suffix is a version, CompareSuffix sorts it descending, so the
//     newest version of a prefix comes first. Logical dedup keeps the first
//     version it meets and relies on this order.
//
// The name of the Comparer is stored in the manifest; a database written
// with one Comparer cannot be opened with another.
type Comparer struct {
	// Name identifies the ordering. It is persisted.
	Name string
	// Split returns the index at which the suffix of key begins
	// (len(key) when there is no suffix).
	Split func(key []byte) int
	// ComparePrefix compares two prefixes.
	ComparePrefix func(a, b []byte) int
	// CompareSuffix compares two suffixes.
	CompareSuffix func(a, b []byte) int
	// FormatKey renders a user key for debugging output.
	FormatKey func(key []byte) string
	// CompareKeys, if set, compares two whole user keys in one call. It
	// must agree with ComparePrefix then CompareSuffix of the split keys;
	// it exists because key comparison is the hottest call of the engine
	// (every skiplist step, block seek and merge step).
	CompareKeys func(a, b []byte) int
	// PrefixStart, if set, returns a user key that sorts at or before
	// every key whose prefix is prefix (and after every key with a
	// smaller prefix). An iterator over one logical key seeks there;
	// without it, such an iterator reads from the first key up to the
	// prefix. It is not needed by DefaultComparer (the prefix is that key).
	PrefixStart func(prefix []byte) []byte

	// bytewise marks DefaultComparer: keys have no suffix and compare with
	// bytes.Compare, so the calls above need no indirection.
	bytewise bool
}

// Prefix returns the logical prefix of key.
func (c *Comparer) Prefix(key []byte) []byte {
	if c.bytewise {
		return key
	}
	return key[:c.Split(key)]
}

// Compare compares two user keys physically: prefix, then suffix. This is
// the on-disk and memtable order.
func (c *Comparer) Compare(a, b []byte) int {
	if c.bytewise {
		return bytes.Compare(a, b)
	}
	if c.CompareKeys != nil {
		return c.CompareKeys(a, b)
	}
	sa, sb := c.Split(a), c.Split(b)
	if r := c.ComparePrefix(a[:sa], b[:sb]); r != 0 {
		return r
	}
	return c.CompareSuffix(a[sa:], b[sb:])
}

// CompareLogical compares only the prefixes of two user keys. Keys that
// compare equal here are versions of one logical key.
func (c *Comparer) CompareLogical(a, b []byte) int {
	if c.bytewise {
		return bytes.Compare(a, b)
	}
	return c.ComparePrefix(a[:c.Split(a)], b[:c.Split(b)])
}

// SuffixFree reports that no key has a version suffix, so that a key's
// prefix is the whole key. It is true for DefaultComparer only (a Comparer
// with a Split function may split some key). Compactions rely on it to
// drop point tombstones that would otherwise hide older versions of their
// prefix.
func (c *Comparer) SuffixFree() bool { return c.bytewise }

// HasPrefix reports whether userKey's prefix is prefix (a prefix, as
// returned by Prefix).
func (c *Comparer) HasPrefix(userKey, prefix []byte) bool {
	if c.bytewise {
		return bytes.Equal(userKey, prefix)
	}
	return c.ComparePrefix(userKey[:c.Split(userKey)], prefix) == 0
}

// ComparePrefixOf compares userKey's prefix with prefix (a prefix, as
// returned by Prefix, which is not split again).
func (c *Comparer) ComparePrefixOf(userKey, prefix []byte) int {
	if c.bytewise {
		return bytes.Compare(userKey, prefix)
	}
	return c.ComparePrefix(userKey[:c.Split(userKey)], prefix)
}

// Equal reports whether a and b are the same user key.
func (c *Comparer) Equal(a, b []byte) bool {
	if c.bytewise {
		return bytes.Equal(a, b)
	}
	return c.Compare(a, b) == 0
}

// CompareInternal orders internal keys: user key ascending, then sequence
// number descending.
//
// The kind takes no part: two entries with the same user key and seqnum
// can only come from one batch that wrote the key twice, and there the
// later write must win whatever its kind. The memtable places an entry
// before any it compares equal to, so the later write comes first, and a
// flush keeps only that one: an SST never holds two entries that compare
// equal.
func (c *Comparer) CompareInternal(a, b InternalKey) int {
	if r := c.Compare(a.UserKey, b.UserKey); r != 0 {
		return r
	}
	as, bs := a.SeqNum(), b.SeqNum()
	switch {
	case as > bs:
		return -1
	case as < bs:
		return 1
	}
	return 0
}

// Format renders key with FormatKey, or quoted if FormatKey is nil.
func (c *Comparer) Format(key []byte) string {
	if c.FormatKey != nil {
		return c.FormatKey(key)
	}
	return strconv.Quote(string(key))
}

// DefaultComparer orders keys bytewise. Keys have no suffix, so logical
// dedup is exact-key dedup.
var DefaultComparer = &Comparer{
	Name:          "tempest.bytewise",
	Split:         func(key []byte) int { return len(key) },
	ComparePrefix: bytes.Compare,
	CompareSuffix: func(a, b []byte) int { return 0 },
	CompareKeys:   bytes.Compare,
	bytewise:      true,
}

// FixedSuffixComparer returns a Comparer whose suffix is the last n bytes
// of the key, compared bytewise and sorted descending, so that with a
// big-endian version (a timestamp, say) the newest version of a prefix sorts
// first. A key shorter than n bytes has no suffix.
func FixedSuffixComparer(n int) *Comparer {
	if n <= 0 {
		// lint:panic a programmer error, caught at construction
		panic("base: FixedSuffixComparer needs a positive suffix length")
	}
	return &Comparer{
		Name: fmt.Sprintf("tempest.fixed-suffix-desc.%d", n),
		Split: func(key []byte) int {
			if len(key) < n {
				return len(key)
			}
			return len(key) - n
		},
		ComparePrefix: bytes.Compare,
		CompareSuffix: func(a, b []byte) int { return bytes.Compare(b, a) },
		CompareKeys: func(a, b []byte) int {
			sa, sb := len(a)-n, len(b)-n
			if sa < 0 {
				sa = len(a)
			}
			if sb < 0 {
				sb = len(b)
			}
			if r := bytes.Compare(a[:sa], b[:sb]); r != 0 {
				return r
			}
			return bytes.Compare(b[sb:], a[sa:])
		},
		// The largest suffix sorts first.
		PrefixStart: func(prefix []byte) []byte {
			return append(append(make([]byte, 0, len(prefix)+n), prefix...), bytes.Repeat([]byte{0xff}, n)...)
		},
		FormatKey: func(key []byte) string {
			if len(key) < n {
				return strconv.Quote(string(key))
			}
			return fmt.Sprintf("%q@%x", key[:len(key)-n], key[len(key)-n:])
		},
	}
}
