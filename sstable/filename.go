package sstable

import (
	"strconv"
	"strings"

	"github.com/tempestdb/tempest/internal/base"
)

const fileSuffix = ".sst"

// FileName returns the name of SST num in a database's sst directory: the
// file number in decimal, zero-padded to six digits, followed by ".sst"
// (e.g. "000012.sst").
func FileName(num base.FileNum) string { return num.String() + fileSuffix }

// ParseFileName parses a name produced by FileName. It accepts only the
// canonical spelling ("12.sst" and "0000012.sst" are rejected), so two
// directory entries never map to the same file number.
func ParseFileName(name string) (base.FileNum, bool) {
	digits, ok := strings.CutSuffix(name, fileSuffix)
	if !ok || digits == "" || strings.Trim(digits, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseUint(digits, 10, 64)
	if err != nil || FileName(base.FileNum(n)) != name {
		return 0, false
	}
	return base.FileNum(n), true
}
