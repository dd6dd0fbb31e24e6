package cluster

import "encoding/binary"

// The node's database holds its identity record under the key 'i' (the
// identity as JSON, as in cluster.json; identity.go), and for each local
// shard s everything under shardPrefix(s) = 'c' + s as 2 big-endian
// bytes:
//
//	prefix 'd' key   the shard's data: a Redis key and its stored value
//	                 (rediscmd.EncodeValue, versioned: tag byte, version,
//	                 expiry, string)
//	prefix 'a'       the FSM's applied index and clock (8+8 bytes), written
//	                 in the same batch as the entry's data
//	prefix 'b' n     bucket n (one byte, 0-255) of delete records: the
//	                 index of the newest entry that deleted a key of the
//	                 bucket, or the version of a value of one that the
//	                 expiry sweep deleted if higher (8 bytes), for WATCH
//	                 (fsm_run.go, fsm_sweep.go)
//	prefix 'R'       set by earlier versions while a snapshot restore was
//	                 under way (read at start, no longer written)
//	prefix 'r' ...   the raft log and stable store (a raftstore.Store)
//
// The FSM's state, which a snapshot carries and a restore replaces in one
// ingest, is [prefix 'a', prefix 'e'): the applied record, the delete
// records and the data (stateBounds). The raft keys and the marker lie outside it.
const (
	subIdentity  = 'i' // a key of its own, beside the shards
	shardsFirst  = 'c' // the first byte of every shard's keys
	subData      = 'd'
	subApplied   = 'a'
	subDeletes   = 'b'
	subRestoring = 'R'
	subRaft      = 'r'
)

func shardPrefix(s int) []byte { return []byte{shardsFirst, byte(s >> 8), byte(s)} }

func withSub(prefix []byte, sub byte, rest ...byte) []byte {
	k := make([]byte, 0, len(prefix)+1+len(rest))
	k = append(k, prefix...)
	k = append(k, sub)
	return append(k, rest...)
}

func putUint64(v uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return b[:]
}
