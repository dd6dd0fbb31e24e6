package cluster

import (
	"github.com/tempestdb/tempest/internal/resp"
	"github.com/tempestdb/tempest/server/rediscmd"
)

// sweep applies an expiry sweep's entry (sweepEntry): each listed key
// whose stored value has expired at the entry's clock (tx.Now, the
// leader's stamp raised to the shard's clock) is deleted; a key written
// since the leader listed it, or already gone, is left alone. Every
// replica therefore deletes the same keys at the same index, whatever
// its own clock. The tombstones go into the entry's batch with the
// applied index, and compactions then drop each expired value and every
// version it hid. Its reply is the number of keys deleted.
func (f *shardFSM) sweep(tx *rediscmd.Txn, argv [][]byte) (applyResult, error) {
	purged, err := tx.PurgeExpired(argv[1:])
	if err == nil {
		err = f.recordPurges(tx, purged)
	}
	if err != nil {
		tx.Fail(err)
		return applyResult{}, nil
	}
	w := resp.Writer{Proto: 2}
	w.Int(int64(len(purged)))
	return applyResult{replies: [][]byte{w.Buf}}, nil
}

// recordPurges raises the delete record of each swept key's bucket to
// the version of the value the sweep deleted: the index at which the key
// last changed. The expiry itself is no change to WATCH (as
// redis-server's, for a key already expired when watched), but a key
// written after WATCH read and swept before EXEC was changed, and its
// version, above the index WATCH read at, says so (watchChanged).
func (f *shardFSM) recordPurges(tx *rediscmd.Txn, purged []rediscmd.Purged) error {
	for _, p := range purged {
		at, err := f.deletedAt(tx.R, p.Key)
		if err != nil {
			return err
		}
		if p.Ver > at {
			if err := tx.B.Set(f.deleteBucket(p.Key), putUint64(p.Ver)); err != nil {
				return err
			}
		}
	}
	return nil
}
