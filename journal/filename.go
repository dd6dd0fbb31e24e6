package journal

import (
	"fmt"
	"strconv"
	"strings"
)

// fileNumWidth is the zero padding of the file number in a journal file
// name: "<prefix>-000003". Numbers of more digits are written in full.
const fileNumWidth = 6

// tmpSuffix marks the temporary file under which file 0 is prepared. It
// never matches the journal file pattern, so a leftover is ignored (and
// removed) by Open.
const tmpSuffix = ".tmp"

// makeFilename returns the name of journal file num for prefix.
func makeFilename(prefix string, num uint64) string {
	return fmt.Sprintf("%s-%0*d", prefix, fileNumWidth, num)
}

// parseFilename reports whether name is the canonical name of a journal file
// of prefix, and its number. Names that start with the prefix but deviate
// from the pattern (other padding, a sign, a suffix) do not match.
func parseFilename(prefix, name string) (num uint64, ok bool) {
	rest, found := strings.CutPrefix(name, prefix+"-")
	if !found || len(rest) < fileNumWidth {
		return 0, false
	}
	for i := 0; i < len(rest); i++ {
		if rest[i] < '0' || rest[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(rest, 10, 64)
	if err != nil || makeFilename(prefix, n) != name {
		return 0, false
	}
	return n, true
}

// validPrefix reports whether prefix can name journal files.
func validPrefix(prefix string) bool {
	if prefix == "" {
		return false
	}
	return !strings.ContainsAny(prefix, "/\\\x00")
}

// ParseFileName reports whether name is the canonical name of a journal
// file of prefix ("manifest-000003"), and its number, as Open decides.
func ParseFileName(prefix, name string) (num uint64, ok bool) { return parseFilename(prefix, name) }

// Owns reports whether name is a file the journal of prefix manages: a
// journal file or the temporary file of its creation.
func Owns(prefix, name string) bool {
	_, ok := parseFilename(prefix, name)
	return ok || name == makeFilename(prefix, 0)+tmpSuffix
}

// FileName returns the name of journal file num of prefix
// ("manifest-000003").
func FileName(prefix string, num uint64) string { return makeFilename(prefix, num) }
