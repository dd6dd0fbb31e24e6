package cluster

import (
	"encoding/binary"
	"errors"
	"hash/fnv"
	"strings"

	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/internal/resp"
	"github.com/tempestdb/tempest/server/rediscmd"
)

// applyResult is what Apply returns to the node that proposed the entry:
// the RESP2 reply of each key command it ran (one, or one per queued key
// command of a transaction), or aborted (a transaction refused by
// WATCH), or whole: the reply of the whole command or EXEC when the
// entry could not run (an engine error, the replica failed).
type applyResult struct {
	replies [][]byte
	aborted bool
	whole   []byte
}

func failedResult(msg string) applyResult {
	w := resp.Writer{Proto: 2}
	w.Error(msg)
	return applyResult{whole: w.Buf}
}

// run executes an entry's command over tx. An error is a damaged entry.
func (f *shardFSM) run(tx *rediscmd.Txn, argv [][]byte) (applyResult, error) {
	switch strings.ToLower(string(argv[0])) {
	case "exec":
		return f.execTxn(tx, argv)
	case "flushdb":
		return f.flush(tx, argv)
	case entrySweep:
		return f.sweep(tx, argv)
	}
	return applyResult{replies: [][]byte{runKeyCommand(tx, argv)}}, nil
}

// runKeyCommand runs one key command over tx and returns its RESP2
// reply.
func runKeyCommand(tx *rediscmd.Txn, args [][]byte) []byte {
	w := resp.Writer{Proto: 2}
	cmd := commands.Lookup(&w, args)
	switch {
	case cmd == nil:
	case cmd.Key == nil:
		w.Error("ERR " + cmd.Name + " is not a command of the state machine")
	default:
		cmd.Key(&rediscmd.Ctx{Tx: tx, W: &w}, args)
	}
	return w.Buf
}

// execTxn runs a transaction's entry (execEntry): if a watched key
// changed since WATCH saw it (watchChanged), nothing; else every queued
// command in order, each reading what the previous ones wrote, their
// writes committed together.
func (f *shardFSM) execTxn(tx *rediscmd.Txn, argv [][]byte) (applyResult, error) {
	if len(argv) < 2 {
		return applyResult{}, errDamagedExec
	}
	watches, err := decodeWatches(argv[1])
	if err != nil {
		return applyResult{}, err
	}
	for _, w := range watches {
		changed, err := f.watchChanged(tx, w)
		if err != nil {
			return applyResult{}, err
		}
		if changed {
			return applyResult{aborted: true}, nil
		}
	}
	var res applyResult
	for _, q := range argv[2:] {
		args, err := decodeArgs(q)
		if err != nil {
			return applyResult{}, err
		}
		res.replies = append(res.replies, f.runQueued(tx, args))
		if tx.Failed {
			break // the entry writes nothing (apply)
		}
	}
	return res, nil
}

// runQueued runs one command of a transaction's entry: a key command,
// or FLUSHDB of the shard (multi_exec.go). A nil reply: the command
// failed the txn (tx.Failed).
func (f *shardFSM) runQueued(tx *rediscmd.Txn, args [][]byte) []byte {
	if !strings.EqualFold(string(args[0]), "flushdb") {
		return runKeyCommand(tx, args)
	}
	res, _ := f.flush(tx, args) // flush returns no error
	if len(res.replies) != 1 {
		return nil
	}
	return res.replies[0]
}

var errDamagedExec = errors.New("cluster: transaction entry without its watch list")

// watchChanged decides WATCH for one key, as redis-server 7.0 aborts
// EXEC: the key was written since WATCH (even with the same value),
// deleted, or was live then and has expired since; but a key already
// expired at WATCH and deleted by the expiry since is no change. Every
// write stamps the value with its entry's index (rediscmd.Txn.Version),
// so a stored value whose version differs from the one WATCH saw was
// written since. A key stored now is the value WATCH saw or a write
// since. A key absent now (absent at WATCH, or expired then and swept
// since) was written since if its bucket records a delete, or a swept
// value, after the index WATCH read at (recordDeletes, recordPurges);
// another key of the same bucket deleted since, or a FLUSHDB, aborts
// too (a conservative abort, never a missed one).
func (f *shardFSM) watchChanged(tx *rediscmd.Txn, w watched) (bool, error) {
	e, stored, err := tx.GetRaw(w.key)
	if err != nil {
		return false, err
	}
	alive := stored && !e.ExpiredAt(tx.Now)
	switch {
	case w.alive:
		return !alive || e.Ver != w.version, nil
	case stored:
		return !w.stored || e.Ver != w.version, nil
	}
	deleted, err := f.deletedAt(tx.R, w.key)
	return deleted > w.seen, err
}

// deleteBuckets is how many buckets of delete records a shard keeps.
const deleteBuckets = 256

// deleteBucket returns the engine key of key's bucket of delete records.
func (f *shardFSM) deleteBucket(key []byte) []byte {
	h := fnv.New32a()
	h.Write(key)
	return withSub(f.prefix, subDeletes, byte(h.Sum32()%deleteBuckets))
}

// deletedAt returns the index of the newest delete recorded in key's
// bucket (0: none).
func (f *shardFSM) deletedAt(r rediscmd.Reader, key []byte) (uint64, error) {
	v, err := r.Get(f.deleteBucket(key))
	switch {
	case errors.Is(err, tempest.ErrNotFound):
		return 0, nil
	case err != nil:
		return 0, err
	case len(v) != 8:
		return 0, errors.Join(tempest.ErrCorruption, errors.New("cluster: delete record of the wrong size"))
	}
	return binary.BigEndian.Uint64(v), nil
}

// recordDeletes records index in the bucket of every key the entry
// modified and left without a stored value (deleted), in the entry's
// batch b.
func (f *shardFSM) recordDeletes(b *tempest.Batch, tx *rediscmd.Txn, index uint64) error {
	done := map[string]bool{}
	for _, k := range tx.Touched {
		_, stored, err := tx.GetRaw(k)
		if err != nil {
			return err
		}
		bk := f.deleteBucket(k)
		if stored || done[string(bk)] {
			continue
		}
		done[string(bk)] = true
		if err := b.Set(bk, putUint64(index)); err != nil {
			return err
		}
	}
	return nil
}

// flush is FLUSHDB of the shard: every key deleted, and a delete
// recorded in every bucket.
func (f *shardFSM) flush(tx *rediscmd.Txn, argv [][]byte) (applyResult, error) {
	w := resp.Writer{Proto: 2}
	if !rediscmd.ValidFlushArgs(argv) {
		w.Error(rediscmd.ErrSyntax)
		return applyResult{replies: [][]byte{w.Buf}}, nil
	}
	if err := tx.DeleteAll(); err != nil {
		tx.Fail(err)
		return applyResult{}, nil
	}
	for i := range deleteBuckets {
		if err := tx.B.Set(withSub(f.prefix, subDeletes, byte(i)), putUint64(tx.Version)); err != nil {
			tx.Fail(err)
			return applyResult{}, nil
		}
	}
	w.OK()
	return applyResult{replies: [][]byte{w.Buf}}, nil
}
