package tool

import (
	"encoding/hex"
	"fmt"
	"strconv"
)

// Keys and values on the command line are taken literally, or decoded
// from hexadecimal when --hex is set. In output they are printed quoted
// (Go syntax, so any byte string prints on one line and unambiguously), or
// as plain hexadecimal with --hex.

// parseBytes decodes a command-line key or value.
func parseBytes(what, s string, isHex bool) ([]byte, error) {
	if !isHex {
		return []byte(s), nil
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, usagef("%s %q is not hexadecimal: %v", what, s, err)
	}
	return b, nil
}

// parseBound decodes an optional --lower/--upper bound: empty is none.
func parseBound(what, s string, isHex bool) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	return parseBytes(what, s, isHex)
}

// formatBytes renders a key or value for output.
func formatBytes(b []byte, isHex bool) string {
	if isHex {
		return hex.EncodeToString(b)
	}
	return strconv.Quote(string(b))
}

// humanBytes renders a byte count with a binary unit.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for x := n / unit; x >= unit; x /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
