package sstable

import "github.com/tempestdb/tempest/internal/base"

// FileName returns the name of SST num in a database's sst directory: the
// file number in decimal, zero-padded to six digits, followed by ".sst"
// (e.g. "000012.sst"). The naming lives in internal/base (MakeFilename).
func FileName(num base.FileNum) string { return base.MakeFilename(base.FileTypeSST, num) }

// ParseFileName parses a name produced by FileName. It accepts only the
// canonical spelling ("12.sst" and "0000012.sst" are rejected), so two
// directory entries never map to the same file number.
func ParseFileName(name string) (base.FileNum, bool) {
	return base.ParseFilename(base.FileTypeSST, name)
}
