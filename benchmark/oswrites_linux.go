//go:build linux

package benchmark

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
)

// osBytesWritten returns the bytes this process has caused to be written
// to storage (/proc/self/io: write_bytes less cancelled_write_bytes), and
// false where the kernel does not account them.
func osBytesWritten() (int64, bool) {
	data, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0, false
	}
	var written, cancelled int64
	var found bool
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		name, value, ok := bytes.Cut(sc.Bytes(), []byte(": "))
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(string(value), 10, 64)
		if err != nil {
			continue
		}
		switch string(name) {
		case "write_bytes":
			written, found = n, true
		case "cancelled_write_bytes":
			cancelled = n
		}
	}
	return written - cancelled, found
}
