package wal

import "github.com/tempestdb/tempest/internal/base"

// FileName returns the name of WAL num: the file number in decimal,
// zero-padded to six digits, followed by ".log" (e.g. "000012.log"). The
// naming lives in internal/base (MakeFilename).
func FileName(num base.FileNum) string { return base.MakeFilename(base.FileTypeWAL, num) }

// ParseFileName parses a name produced by FileName. It accepts only the
// canonical spelling ("12.log" and "0000012.log" are rejected), so two
// directory entries never map to the same file number.
func ParseFileName(name string) (base.FileNum, bool) {
	return base.ParseFilename(base.FileTypeWAL, name)
}
