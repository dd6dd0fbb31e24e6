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
