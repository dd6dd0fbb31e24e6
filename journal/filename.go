package journal

import (
	"strings"

	"github.com/tempestdb/tempest/internal/base"
)

// tmpSuffix marks the temporary file under which file 0 is prepared. It
// never matches the journal file pattern, so a leftover is ignored (and
// removed) by Open.
const tmpSuffix = ".tmp"

// makeFilename returns the name of journal file num for prefix (the
// naming lives in internal/base).
func makeFilename(prefix string, num uint64) string { return base.MakeJournalFilename(prefix, num) }

// parseFilename reports whether name is the canonical name of a journal file
// of prefix, and its number.
func parseFilename(prefix, name string) (num uint64, ok bool) {
	return base.ParseJournalFilename(prefix, name)
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
