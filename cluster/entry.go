package cluster

import (
	"encoding/binary"
	"fmt"

	"github.com/tempestdb/tempest"
)

// A log entry is one write command: the leader's clock when it proposed
// the entry (Unix ms, 8 bytes big-endian), then the command's arguments,
// each as a uvarint length and its bytes. Every replica decides the
// command's outcome from the entry alone (and its state), so they agree.
func encodeEntry(now int64, argv [][]byte) []byte {
	n := 8
	for _, a := range argv {
		n += binary.MaxVarintLen64 + len(a)
	}
	b := make([]byte, 8, n)
	binary.BigEndian.PutUint64(b, uint64(now))
	for _, a := range argv {
		b = binary.AppendUvarint(b, uint64(len(a)))
		b = append(b, a...)
	}
	return b
}

func decodeEntry(b []byte) (now int64, argv [][]byte, err error) {
	if len(b) < 8 {
		return 0, nil, fmt.Errorf("%w: cluster: log entry of %d bytes", tempest.ErrCorruption, len(b))
	}
	now = int64(binary.BigEndian.Uint64(b))
	b = b[8:]
	for len(b) > 0 {
		l, n := binary.Uvarint(b)
		if n <= 0 || uint64(len(b)-n) < l {
			return 0, nil, fmt.Errorf("%w: cluster: truncated log entry", tempest.ErrCorruption)
		}
		argv = append(argv, b[n:n+int(l)])
		b = b[n+int(l):]
	}
	if len(argv) == 0 {
		return 0, nil, fmt.Errorf("%w: cluster: empty log entry", tempest.ErrCorruption)
	}
	return now, argv, nil
}
