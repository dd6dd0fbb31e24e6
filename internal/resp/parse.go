package resp

import "math"

// ParseInt parses b as redis-server's string2ll does: an optional '-',
// then decimal digits with no leading zero (except "0" itself), nothing
// else (no sign '+', no spaces), within int64.
func ParseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || b[0] < '1' || b[0] > '9' {
		return 0, false
	}
	v, ok := parseDigits(b)
	if !ok {
		return 0, false
	}
	if neg {
		if v > uint64(math.MaxInt64)+1 {
			return 0, false
		}
		return int64(-v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}

// ParseCursor parses a SCAN cursor as redis-server 7.0 does (strtoul
// with base 10): optional sign, digits; a leading space, trailing
// garbage or a value beyond 64 bits is an invalid cursor. A negative
// number wraps, as strtoul's does.
func ParseCursor(b []byte) (uint64, bool) {
	if len(b) == 0 {
		return 0, true
	}
	neg := false
	switch b[0] {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return 0, false
	case '+', '-':
		neg = b[0] == '-'
		b = b[1:]
	}
	v, ok := parseDigits(b)
	if !ok {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}

// FormatUint is n in decimal (a SCAN cursor).
func FormatUint(n uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return string(b[i:])
}

// parseDigits parses b, one or more decimal digits, as an unsigned 64-bit
// number; it fails on any other byte, on no digit, and beyond 64 bits.
func parseDigits(b []byte) (uint64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > (math.MaxUint64-uint64(c-'0'))/10 {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	return v, true
}
