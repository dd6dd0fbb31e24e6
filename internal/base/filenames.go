package base

import (
	"fmt"
	"strconv"
	"strings"
)

// The layout of a database directory, the one place that names its parts
// (as LevelDB's filename.h and Pebble's filenames.go do):
//
//	<dir>/LOCK                       the process lock (LockFile)
//	<dir>/manifest/manifest-NNNNNN   manifest journal files (ManifestDir, ManifestPrefix)
//	<dir>/wal/NNNNNN.log             WAL files (WALDir, FileTypeWAL)
//	<dir>/sst/NNNNNN.sst             SST files (SSTDir, FileTypeSST)
//	<dir>/sst/NNNNNN.blob            blob files (SSTDir, FileTypeBlob)
const (
	LockFile       = "LOCK"
	ManifestDir    = "manifest"
	WALDir         = "wal"
	SSTDir         = "sst"
	ManifestPrefix = "manifest"
)

// Subdirs are the subdirectories of a database directory.
var Subdirs = []string{ManifestDir, WALDir, SSTDir}

// FileType is a kind of numbered file of a database.
type FileType uint8

const (
	// FileTypeWAL is a write-ahead log: "NNNNNN.log".
	FileTypeWAL FileType = iota
	// FileTypeSST is a table: "NNNNNN.sst".
	FileTypeSST
	// FileTypeBlob is a blob file of separated values: "NNNNNN.blob", in
	// the sst directory.
	FileTypeBlob
)

var fileTypeSuffix = [...]string{FileTypeWAL: ".log", FileTypeSST: ".sst", FileTypeBlob: ".blob"}

// MakeFilename returns the name of file num of type t: the number in
// decimal, zero-padded to six digits, and the type's suffix
// ("000012.log", "000012.sst").
func MakeFilename(t FileType, num FileNum) string { return num.String() + fileTypeSuffix[t] }

// ParseFilename parses a name MakeFilename produces for type t. Only the
// canonical spelling parses ("12.sst" and "0000012.sst" do not), so two
// directory entries never map to one file number.
func ParseFilename(t FileType, name string) (FileNum, bool) {
	digits, ok := strings.CutSuffix(name, fileTypeSuffix[t])
	if !ok || digits == "" || strings.Trim(digits, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseUint(digits, 10, 64)
	if err != nil || MakeFilename(t, FileNum(n)) != name {
		return 0, false
	}
	return FileNum(n), true
}

// journalNumWidth is the zero padding of a journal file's number:
// "<prefix>-000003". Numbers of more digits are written in full.
const journalNumWidth = 6

// MakeJournalFilename returns the name of journal file num of prefix
// ("manifest-000003").
func MakeJournalFilename(prefix string, num uint64) string {
	return fmt.Sprintf("%s-%0*d", prefix, journalNumWidth, num)
}

// ParseJournalFilename reports whether name is the canonical name of a
// journal file of prefix, and its number. Names that start with the prefix
// but deviate from the pattern (other padding, a sign, a suffix) do not
// match.
func ParseJournalFilename(prefix, name string) (num uint64, ok bool) {
	rest, found := strings.CutPrefix(name, prefix+"-")
	if !found || len(rest) < journalNumWidth || strings.Trim(rest, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseUint(rest, 10, 64)
	if err != nil || MakeJournalFilename(prefix, n) != name {
		return 0, false
	}
	return n, true
}
