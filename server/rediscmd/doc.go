// Package rediscmd is the Redis command set that tempest serve (package
// server, one database) and tempest serve --cluster (package cluster, a
// raft state machine per shard) share: the command table (names,
// arities, flags and key positions of redis-server 7.0), the key
// commands over a Txn (one keyspace: a key prefix of a Tempest DB), the
// stored form of a value, the connection commands (HELLO, AUTH, CLIENT,
// PING, ECHO, SELECT, COMMAND), and SCAN's options and cursors. A front
// end decides where a command runs (a write group, a raft entry) and
// runs the commands that need more than one keyspace or a connection of
// its own (MULTI, WATCH, FLUSHDB, INFO). Replies are built with
// internal/resp, as redis-server 7.0 writes them.
package rediscmd
