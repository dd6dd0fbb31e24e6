package resp

// Glob is redis-server's stringmatchlen (util.c): '*', '?', '[...]'
// with '^' negation and 'a-z' ranges, and '\' escapes; case-sensitive.
// Like it, a '*' never matches at the very end of s unless it ends the
// pattern (so "*" does not match ""): KEYS and SCAN treat the pattern "*"
// apart, as redis-server does.
func Glob(pattern, s []byte) bool {
	for len(pattern) > 0 && len(s) > 0 {
		switch pattern[0] {
		case '*':
			for len(pattern) > 1 && pattern[1] == '*' {
				pattern = pattern[1:]
			}
			if len(pattern) == 1 {
				return true
			}
			for i := 0; i < len(s); i++ {
				if Glob(pattern[1:], s[i:]) {
					return true
				}
			}
			return false
		case '?':
			s = s[1:]
		case '[':
			pattern = pattern[1:]
			not := len(pattern) > 0 && pattern[0] == '^'
			if not {
				pattern = pattern[1:]
			}
			match := false
			for {
				if len(pattern) == 0 {
					break // an unterminated class: redis-server stops at the end
				}
				if pattern[0] == '\\' && len(pattern) >= 2 {
					pattern = pattern[1:]
					if pattern[0] == s[0] {
						match = true
					}
				} else if pattern[0] == ']' {
					break
				} else if len(pattern) >= 3 && pattern[1] == '-' {
					lo, hi := pattern[0], pattern[2]
					if lo > hi {
						lo, hi = hi, lo
					}
					if s[0] >= lo && s[0] <= hi {
						match = true
					}
					pattern = pattern[2:]
				} else if pattern[0] == s[0] {
					match = true
				}
				pattern = pattern[1:]
			}
			if len(pattern) == 0 {
				// redis-server steps back onto the last byte here; the
				// class then ends the pattern.
				pattern = []byte{']'}
			}
			if not {
				match = !match
			}
			if !match {
				return false
			}
			s = s[1:]
		case '\\':
			if len(pattern) >= 2 {
				pattern = pattern[1:]
			}
			if pattern[0] != s[0] {
				return false
			}
			s = s[1:]
		default:
			if pattern[0] != s[0] {
				return false
			}
			s = s[1:]
		}
		pattern = pattern[1:]
		if len(s) == 0 {
			for len(pattern) > 0 && pattern[0] == '*' {
				pattern = pattern[1:]
			}
			break
		}
	}
	return len(pattern) == 0 && len(s) == 0
}
