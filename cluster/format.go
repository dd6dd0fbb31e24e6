// A node of `tempest serve --cluster` keeps, in its directory, `cluster.json`
// and a Tempest database (`db/`) whose keys are laid out in
// `cluster/keys.go` (and docs/cluster.md, "Storage on a node").
//
// # Identity: `cluster.json` and the record under key `i`
//
// Both hold the same JSON object (indented):
//
//	node_id      the node's id
//	incarnation  16 hex digits drawn at the node's first start
//	layout       cluster_id (16 hex digits: the first 8 bytes of the
//	             SHA-256 of the founding layout's JSON, nodes, shards and
//	             replicas), nodes (id, addr, bus, retired), shards,
//	             replicas, epoch (omitted at 0), placed (omitted until a
//	             membership change)
//	founding     the shards this node bootstraps (omitted if none)
//
// A file or record that does not parse, lacks `node_id`, `incarnation` or
// `layout.cluster_id`, or whose layout is invalid or does not list the
// node, is `ErrCorruption`. How the two are compared at start is in
// docs/cluster.md, "Identity".
//
// # A shard's keys
//
// Under the shard's prefix ('c' and the shard as 2 bytes big-endian):
//
//	'a'        applied record: the index of the newest applied entry and
//	           its clock (Unix ms), 8 bytes each, big-endian
//	'b' n      delete record of bucket n (1 byte, 0-255): the index of the
//	           newest entry that deleted a key whose FNV-1a (32-bit) hash
//	           modulo 256 is n, or a FLUSHDB (every bucket), or the
//	           version of a value of such a key that the expiry sweep
//	           deleted, whichever is highest; 8 bytes big-endian;
//	           absent: no delete recorded
//	'd' key    a Redis key's value in the versioned form of
//	           server/rediscmd (tag 2 or 3; the version is the index of
//	           the entry that wrote it); values written by earlier
//	           versions keep tag 0 or 1 until rewritten
//	'R'        set by earlier versions during a snapshot restore
//	'r' ...    the raft log and stable store (raftstore)
//
// The state machine's state is ['a', 'e'): a snapshot carries the applied
// record, the delete records and the data. WATCH (docs/decisions.md)
// compares a key's version, and for a key absent at WATCH and at EXEC
// its bucket's delete record, with the index it read at.
//
// # Log entries
//
// A command entry's data (raft.LogCommand):
//
//	clock    8 bytes big-endian: the leader's clock (Unix ms) at proposal
//	args     per argument: uvarint length, the bytes (at least one)
//
// The first argument names the command: a key command of
// server/rediscmd that writes (set, incr, expire, ...), "flushdb"
// (the shard's keys), "sweep", or "exec", a transaction. No client can
// send "sweep" (it is no Redis command); the expiry sweep's entry is:
//
//	"sweep"
//	key      per key, one argument: a key whose value the leader found
//	         expired (up to 1,000 stored entries examined, about 64 KiB
//	         of keys); applied, each key whose stored value has expired
//	         at the entry's clock (raised to the shard's) is deleted, any
//	         other left alone
//
// A transaction's arguments are:
//
//	"exec"
//	watches  uvarint count; per watched key: uvarint length, the key,
//	         flags (1 byte: 1 a value was stored, 2 it was live),
//	         uvarint version of the stored value (0: none or
//	         unversioned), uvarint index the shard had applied when
//	         WATCH read it
//	command  per queued key command or FLUSHDB, in queue order, one
//	         argument holding its arguments, each as uvarint length and
//	         bytes; a "flushdb" deletes the shard's keys at its place
//	         among the commands, as the "flushdb" entry does
//
// A damaged entry fails the replica (fail-stop), never applies in part.
// The first argument is what versions an entry: a node of an earlier
// version that does not know it ("sweep", for one) answers the entry
// with an error and writes nothing but the applied index, so nodes of
// different versions are not promised to agree (docs/cluster.md,
// "Promises").
//
// # Shard snapshot stream, format 2
//
// What `FSM.Persist` writes and `FSM.Restore` reads (`cluster/fsm_snapshot.go`):
//
//	magic    8 bytes, 0xFF "TMPSNP2"
//	applied  16 bytes: applied index, clock (Unix ms), each big-endian
//	files    per file: uvarint length (>= 1), the bytes of an SST written by
//	         Snapshot.Export of the shard's keys [prefix 'a', prefix 'e')
//	         (the applied record and the data), files in key order
//	end      uvarint 0, then 4 bytes big-endian: the CRC-32C (Castagnoli)
//	         of every byte before them; nothing follows
//
// The applied record is also in the first file; the header repeats it so
// that a start can read it without the files. A stream that ends early, has
// bytes after its end, or fails its checksum is `ErrCorruption`, before
// anything changes.
//
// # Shard snapshot stream, format 1 (read only)
//
// Written by earlier versions; still restored, since snapshot stores may
// hold it:
//
//	applied  16 bytes: applied index, clock (Unix ms), each big-endian
//	pairs    per data key, in key order: uvarint key length, the key
//	         without the shard's prefix and 'd', uvarint value length,
//	         the stored value; to the end of the stream
//
// Format 1 has no checksum and no end record: damage is caught only where
// it breaks the framing or the key order. Its first byte is the high byte
// of an applied index, never 0xFF, and its bytes 1-7 are never format 2's:
// a stream that matches the magic in either is damaged format 2.

package cluster
