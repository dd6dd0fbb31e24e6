package wal

import (
	"strconv"
	"strings"

	"github.com/tempestdb/tempest/internal/base"
)

const fileSuffix = ".log"

// FileName returns the name of WAL num: the file number in decimal,
// zero-padded to six digits, followed by ".log" (e.g. "000012.log").
func FileName(num base.FileNum) string {
	return num.String() + fileSuffix
}

// ParseFileName parses a name produced by FileName. It accepts only the
// canonical spelling ("12.log" and "0000012.log" are rejected), so two
// directory entries never map to the same file number.
func ParseFileName(name string) (base.FileNum, bool) {
	digits, ok := strings.CutSuffix(name, fileSuffix)
	if !ok || digits == "" {
		return 0, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(digits, 10, 64)
	if err != nil {
		return 0, false
	}
	num := base.FileNum(n)
	if FileName(num) != name {
		return 0, false
	}
	return num, true
}
