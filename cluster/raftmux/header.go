package raftmux

import (
	"bufio"
	"io"

	"github.com/tempestdb/tempest/internal/base"
)

const (
	headerMagic   = "TRMX"
	headerVersion = 1
)

// header is what a dialer writes before any raft byte.
type header struct {
	shard, source string
}

// checkName validates a shard ID or an address for the header.
func checkName(what, s string) error {
	if len(s) == 0 || len(s) > 255 {
		return base.InvalidArgumentf("raftmux: %s %q must be 1 to 255 bytes", what, s)
	}
	return nil
}

// encode returns the header's bytes.
func (h header) encode() []byte {
	b := append([]byte(headerMagic), headerVersion, byte(len(h.shard)))
	b = append(b, h.shard...)
	b = append(b, byte(len(h.source)))
	return append(b, h.source...)
}

// readHeader reads a header from r.
func readHeader(r *bufio.Reader) (header, error) {
	var fixed [5]byte
	if _, err := io.ReadFull(r, fixed[:]); err != nil {
		return header{}, err
	}
	if string(fixed[:4]) != headerMagic || fixed[4] != headerVersion {
		return header{}, base.InvalidArgumentf("raftmux: bad stream header %x", fixed)
	}
	shard, err := readShort(r)
	if err != nil {
		return header{}, err
	}
	source, err := readShort(r)
	if err != nil {
		return header{}, err
	}
	return header{shard: shard, source: source}, nil
}

// readShort reads a 1-byte length and a non-empty string of that length.
func readShort(r *bufio.Reader) (string, error) {
	n, err := r.ReadByte()
	if err != nil {
		return "", err
	}
	if n == 0 {
		return "", base.InvalidArgumentf("raftmux: empty name in stream header")
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", err
	}
	return string(b), nil
}
