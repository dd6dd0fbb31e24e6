package cluster

import (
	"errors"
	"slices"
	"time"

	"github.com/hashicorp/raft"
	"github.com/tempestdb/tempest/internal/resp"
	"github.com/tempestdb/tempest/server/rediscmd"
)

// The expiry sweep of a cluster: tempest serve's (rediscmd.SweepEvery,
// SweepSlice), as raft entries. An expired value reads as absent, but it
// stays stored, with every version it hides, until a tombstone covers
// it. Every SweepEvery, for each shard it leads, a node lists the keys of
// the shard's next slice whose values have expired at its clock
// (rediscmd.FindExpired, on its own state) and proposes one entry naming
// them (sweepEntry). FSM.Apply deletes those still expired at the
// entry's clock (shardFSM.sweep), so every replica deletes the same keys
// at the same index, and compactions then drop them and what they hid.
// A node that does not lead a shard sweeps none of it; when leadership
// moves, the new leader's loop starts the shard's keys from the first.

// sweepEntryBytes bounds the keys one sweep entry lists (a slice ends
// early once they reach it), so that an entry stays small beside the
// commands in the log whatever the keys' sizes.
const sweepEntryBytes = 64 << 10

// expireLoop runs one sweep step of each led shard every every, until
// stop is closed.
func (n *Node) expireLoop(stop <-chan struct{}, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	from := map[int][]byte{} // each led shard's next key
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		led := n.ledShards()
		slices.Sort(led)
		next := make(map[int][]byte, len(led))
		for _, s := range led {
			sh := n.shard(s)
			if sh == nil {
				continue // stopped meanwhile (a membership change)
			}
			k, err := n.sweepShard(sh, from[s])
			if err != nil && !leadershipError(err) {
				n.logf("cluster: shard %d: expiry sweep: %v", s, err)
			}
			next[s] = k
		}
		from = next
	}
}

// sweepShard runs one step of shard sh's sweep from the Redis key from
// (nil: the first): it lists the keys of one slice whose values have
// expired at the node's clock and, if any, commits one entry naming
// them. It returns where the next step starts: after the slice, or from
// again if the entry failed (or the shard's replica failed: see
// shardFSM.Apply).
func (n *Node) sweepShard(sh *shard, from []byte) ([]byte, error) {
	if sh.fsm.broken.Load() != nil {
		return from, nil // the replica stopped applying: commands say why
	}
	expired, next, err := n.readTxn(sh, n.db).FindExpired(from, rediscmd.SweepSlice, sweepEntryBytes)
	if err != nil || len(expired) == 0 {
		return next, err
	}
	res, err := sh.commit(sweepEntry(expired))
	if err != nil {
		return from, err
	}
	if res.whole != nil || len(res.replies) != 1 {
		return from, errors.New("the state machine failed the entry: " + string(res.whole))
	}
	if v, _, err := resp.Parse(res.replies[0]); err == nil && v.Kind == ':' {
		if c, ok := resp.ParseInt([]byte(v.Str)); ok {
			n.expired.Add(c)
		}
	}
	return next, nil
}

// leadershipError reports whether a sweep's entry failed because the
// node lost the shard's leadership or is stopping: the shard's new
// leader sweeps it.
func leadershipError(err error) bool {
	return definitelyNotApplied(err) || errors.Is(err, raft.ErrLeadershipLost) || errors.Is(err, raft.ErrRaftShutdown)
}
