package raftstore

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/hashicorp/raft"

	"github.com/tempestdb/tempest"
)

// logVersion is the version byte of the log entry encoding (see the
// package doc). A new encoding takes a new version; decode keeps reading
// the old ones.
const logVersion = 1

// encodeLog appends the encoding of l (all but its index) to dst.
func encodeLog(dst []byte, l *raft.Log) []byte {
	dst = append(dst, logVersion, byte(l.Type))
	dst = binary.AppendUvarint(dst, l.Term)
	var at int64
	if !l.AppendedAt.IsZero() {
		at = l.AppendedAt.UnixNano()
	}
	dst = binary.AppendVarint(dst, at)
	dst = binary.AppendUvarint(dst, uint64(len(l.Data)))
	dst = append(dst, l.Data...)
	dst = binary.AppendUvarint(dst, uint64(len(l.Extensions)))
	return append(dst, l.Extensions...)
}

// decodeLog fills l from the value v of log entry index. Data and
// Extensions are copies l owns.
func decodeLog(index uint64, v []byte, l *raft.Log) error {
	d := decoder{v: v}
	if version := d.byte(); version != logVersion {
		return d.corrupt(index, fmt.Sprintf("unknown encoding version %d", version))
	}
	typ := d.byte()
	term := d.uvarint()
	at := d.varint()
	data := d.bytes()
	ext := d.bytes()
	if d.bad || len(d.v) != 0 {
		return d.corrupt(index, "malformed entry")
	}
	*l = raft.Log{Index: index, Term: term, Type: raft.LogType(typ), Data: data, Extensions: ext}
	if at != 0 {
		l.AppendedAt = time.Unix(0, at)
	}
	return nil
}

// decoder reads the fields of an encoded entry; past the end it sets bad
// and yields zeroes.
type decoder struct {
	v   []byte
	bad bool
}

func (d *decoder) byte() byte {
	if len(d.v) == 0 {
		d.bad = true
		return 0
	}
	b := d.v[0]
	d.v = d.v[1:]
	return b
}

func (d *decoder) uvarint() uint64 {
	x, n := binary.Uvarint(d.v)
	if n <= 0 {
		d.bad = true
		return 0
	}
	d.v = d.v[n:]
	return x
}

func (d *decoder) varint() int64 {
	x, n := binary.Varint(d.v)
	if n <= 0 {
		d.bad = true
		return 0
	}
	d.v = d.v[n:]
	return x
}

// bytes reads a length and that many bytes, copied; nil when empty.
func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.bad || n > uint64(len(d.v)) {
		d.bad = true
		return nil
	}
	if n == 0 {
		return nil
	}
	b := append([]byte(nil), d.v[:n]...)
	d.v = d.v[n:]
	return b
}

func (d *decoder) corrupt(index uint64, what string) error {
	return fmt.Errorf("raftstore: log entry %d: %s: %w", index, what, tempest.ErrCorruption)
}
