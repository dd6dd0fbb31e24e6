package cluster

import (
	"encoding/binary"
	"fmt"

	"github.com/tempestdb/tempest"
)

// A log entry is one command: the leader's clock when it proposed the
// entry (Unix ms, 8 bytes big-endian), then the command's arguments
// (appendArgs). Every replica decides the command's outcome from the
// entry alone (and its state), so they agree. The commands are the key
// commands of rediscmd that write, and three of the FSM's own: "flushdb",
// "exec" (a transaction: execEntry) and "sweep" (the expiry sweep's:
// sweepEntry). docs/format.md ("Cluster nodes") has the layouts.
func encodeEntry(now int64, argv [][]byte) []byte {
	b := make([]byte, 8, 8+argsSize(argv))
	binary.BigEndian.PutUint64(b, uint64(now))
	return appendArgs(b, argv)
}

func decodeEntry(b []byte) (now int64, argv [][]byte, err error) {
	if len(b) < 8 {
		return 0, nil, fmt.Errorf("%w: cluster: log entry of %d bytes", tempest.ErrCorruption, len(b))
	}
	now = int64(binary.BigEndian.Uint64(b))
	if argv, err = decodeArgs(b[8:]); err != nil {
		return 0, nil, err
	}
	return now, argv, nil
}

func argsSize(argv [][]byte) int {
	n := 0
	for _, a := range argv {
		n += binary.MaxVarintLen64 + len(a)
	}
	return n
}

// appendArgs appends each argument as a uvarint length and its bytes.
func appendArgs(b []byte, argv [][]byte) []byte {
	for _, a := range argv {
		b = binary.AppendUvarint(b, uint64(len(a)))
		b = append(b, a...)
	}
	return b
}

// decodeArgs decodes appendArgs' encoding: one argument at least. The
// arguments alias b.
func decodeArgs(b []byte) ([][]byte, error) {
	var argv [][]byte
	for len(b) > 0 {
		l, n := binary.Uvarint(b)
		if n <= 0 || uint64(len(b)-n) < l {
			return nil, fmt.Errorf("%w: cluster: truncated log entry", tempest.ErrCorruption)
		}
		argv = append(argv, b[n:n+int(l)])
		b = b[n+int(l):]
	}
	if len(argv) == 0 {
		return nil, fmt.Errorf("%w: cluster: empty log entry", tempest.ErrCorruption)
	}
	return argv, nil
}

// entrySweep names the expiry sweep's entries. It is no Redis command,
// and a node proposes only the commands it looked up, so no client can
// send one.
const entrySweep = "sweep"

// sweepEntry returns the arguments of an expiry sweep's entry: "sweep",
// then each key found expired, one argument each (cluster/expire.go).
func sweepEntry(keys [][]byte) [][]byte {
	return append([][]byte{[]byte(entrySweep)}, keys...)
}

// watched is what WATCH saw of one key (read at the shard's applied
// index seen, from one snapshot): whether a value was stored (live or
// expired), its version, and whether it was live then.
type watched struct {
	key     []byte
	stored  bool
	alive   bool
	version uint64
	seen    uint64
}

// Flags of a watched key in an exec entry.
const (
	watchStored = 1 << iota
	watchAlive
)

// execEntry returns the arguments of a transaction's entry: "exec", the
// watched keys (uvarint count; per key: uvarint length, the key, a flags
// byte, uvarint version, uvarint seen), then each queued command as one
// argument holding its arguments (appendArgs).
func execEntry(watches []watched, queued [][][]byte) [][]byte {
	w := binary.AppendUvarint(nil, uint64(len(watches)))
	for _, k := range watches {
		w = binary.AppendUvarint(w, uint64(len(k.key)))
		w = append(w, k.key...)
		var flags byte
		if k.stored {
			flags |= watchStored
		}
		if k.alive {
			flags |= watchAlive
		}
		w = append(w, flags)
		w = binary.AppendUvarint(w, k.version)
		w = binary.AppendUvarint(w, k.seen)
	}
	argv := [][]byte{[]byte("exec"), w}
	for _, q := range queued {
		argv = append(argv, appendArgs(nil, q))
	}
	return argv
}

// decodeWatches decodes the watched keys of an exec entry.
func decodeWatches(b []byte) ([]watched, error) {
	bad := fmt.Errorf("%w: cluster: damaged watch list in a transaction entry", tempest.ErrCorruption)
	count, n := binary.Uvarint(b)
	if n <= 0 || count > uint64(len(b)) {
		return nil, bad
	}
	b = b[n:]
	out := make([]watched, 0, count)
	for range count {
		l, n := binary.Uvarint(b)
		if n <= 0 || uint64(len(b)-n) < l+1 {
			return nil, bad
		}
		w := watched{key: b[n : n+int(l)]}
		flags := b[n+int(l)]
		w.stored, w.alive = flags&watchStored != 0, flags&watchAlive != 0
		b = b[n+int(l)+1:]
		if w.version, n = binary.Uvarint(b); n <= 0 {
			return nil, bad
		}
		b = b[n:]
		if w.seen, n = binary.Uvarint(b); n <= 0 {
			return nil, bad
		}
		b = b[n:]
		out = append(out, w)
	}
	if len(b) != 0 {
		return nil, bad
	}
	return out, nil
}
