package sim

import (
	"bytes"
	"fmt"
	"strconv"
)

// Values written by the simulator encode the key they belong to and the
// commit that wrote them, so that every value read back maps to exactly
// one write:
//
//	value := key "@" commit-id "#" filler
//
// The filler pads the value to its chosen length with bytes derived from
// the commit id. A value that does not parse, names another key, or whose
// filler is wrong is a corrupted or misdirected value.

// valueFor returns the value that commit id writes to key, n bytes long
// (or longer if the header needs more).
func valueFor(key string, id uint64, n int) []byte {
	v := make([]byte, 0, max(n, len(key)+24))
	v = append(v, key...)
	v = append(v, '@')
	v = strconv.AppendUint(v, id, 10)
	v = append(v, '#')
	for i := len(v); i < n; i++ {
		v = append(v, fillerByte(id, i))
	}
	return v
}

func fillerByte(id uint64, i int) byte { return 'a' + byte((id+uint64(i))%26) }

// decodeValue returns the commit id and length of a value read under key.
func decodeValue(key string, v []byte) (id uint64, n int, err error) {
	rest, ok := bytes.CutPrefix(v, []byte(key+"@"))
	if !ok {
		return 0, 0, fmt.Errorf("value %.40q does not belong to key %q", v, key)
	}
	hash := bytes.IndexByte(rest, '#')
	if hash < 0 {
		return 0, 0, fmt.Errorf("value %.40q of key %q has no commit id", v, key)
	}
	id, err = strconv.ParseUint(string(rest[:hash]), 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("value %.40q of key %q: bad commit id", v, key)
	}
	if want := valueFor(key, id, len(v)); !bytes.Equal(want, v) {
		return 0, 0, fmt.Errorf("value of key %q from commit %d is damaged", key, id)
	}
	return id, len(v), nil
}
