// Package raftmux multiplexes the raft traffic of many shards over one TCP
// listener per node: a Mux accepts every connection, reads the header
// its dialer wrote, and hands the connection to the StreamLayer of the
// shard the header names. Each StreamLayer is a hashicorp/raft
// StreamLayer: give it to raft.NewNetworkTransport.
//
// # Stream header
//
// A dialer writes, before any raft byte:
//
//	magic    4 bytes, "TRMX"
//	version  1 byte, 1
//	shard    1 byte length (1..255), the shard ID
//	source   1 byte length (1..255), the dialing node's advertised address
//
// The acceptor reads it within HeaderTimeout; a connection with a bad
// header, an unknown shard or a source that is cut off is closed. Nothing
// is written back: the dialer's first raft request then fails, and raft
// retries as after any network error.
//
// # Faults
//
// Cut(peer) makes a node behave as if the network between it and peer
// were down, in both directions, until Heal(peer): dials to peer fail,
// connections from peer are closed on accept, and every open connection
// to or from peer is closed. Cutting a node off from all the others on
// its own Mux is enough to partition it; the others need no change.
package raftmux
