package server

import "github.com/tempestdb/tempest/server/rediscmd"

// A Redis key K is stored under the engine key keyPrefix+K, so that the
// server's keys are one range (FLUSHDB is one range tombstone over it)
// and other ranges stay free for the server's own records. Its value is
// in rediscmd's stored form (rediscmd.EncodeValue), unversioned: tag 0
// or 1 (docs/server.md, "Storage").
const keyPrefix = 'k'

// keyspacePrefix is the Prefix of the server's Txns.
var keyspacePrefix = []byte{keyPrefix}

// storeKey returns the engine key of a Redis key.
func storeKey(key []byte) []byte {
	return append([]byte{keyPrefix}, key...)
}

// txn is the view one command (or one EXEC, or one write group) has of
// the keyspace.
type txn = rediscmd.Txn

func (s *Server) newReadTxn() *txn {
	return &txn{R: s.db, Prefix: keyspacePrefix, Now: nowMs()}
}

func (s *Server) newSnapshotTxn(r rediscmd.Reader) *txn {
	return &txn{R: r, Prefix: keyspacePrefix, Now: nowMs()}
}

func (s *Server) newWriteTxn() *txn {
	b := s.db.NewIndexedBatch()
	return &txn{R: b, B: b, Prefix: keyspacePrefix, Now: nowMs()}
}
