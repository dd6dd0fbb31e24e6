package cluster

import (
	"encoding/binary"
	"slices"
	"strings"

	"github.com/hashicorp/raft"
	"github.com/tempestdb/tempest/server/rediscmd"
)

// SCAN, KEYS, DBSIZE, FLUSHDB and INFO's keyspace apply, as on a Redis
// Cluster master, to the keys this node answers for: those of the shards
// it leads when the command runs, in shard order. Each shard is read as
// the other reads are (linearizable: read.go), and FLUSHDB is one entry
// in each shard's log. So go-redis's ClusterClient.ForEachMaster with
// SCAN on each master sees every key once while the leaders stay put.

// forLedShards calls fn, in shard order, with a read view of each shard
// this node leads, once reads of it are linearizable. A shard whose
// leadership was lost meanwhile is left out (its new leader answers for
// it); a shard this node still leads but could not read fails the
// command.
func (n *Node) forLedShards(from int, fn func(s int, tx *rediscmd.Txn) (bool, error)) error {
	led := n.ledShards()
	slices.Sort(led)
	for _, s := range led {
		if s < from {
			continue
		}
		sh := n.shard(s)
		if sh == nil {
			continue // stopped meanwhile (a membership change)
		}
		if err := sh.linearize(applyTimeout); err != nil {
			if sh.running() && sh.raft.State() == raft.Leader {
				return err
			}
			continue
		}
		snap := n.db.NewSnapshot()
		more, err := fn(s, n.readTxn(sh, snap))
		snap.Close()
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// countKeys counts the live keys of the led shards, and those of them
// with an expiry.
func (n *Node) countKeys() (keys, expires int64, err error) {
	err = n.forLedShards(0, func(_ int, tx *rediscmd.Txn) (bool, error) {
		k, e, err := tx.CountKeys()
		keys, expires = keys+k, expires+e
		return true, err
	})
	return keys, expires, err
}

func cmdDBSize(n *Node, st *connState, _ [][]byte) {
	keys, _, err := n.countKeys()
	if err != nil {
		st.Out.Error("TRYAGAIN " + err.Error())
		return
	}
	st.Out.Int(keys)
}

func cmdKeys(n *Node, st *connState, argv [][]byte) {
	var keys [][]byte
	err := n.forLedShards(0, func(_ int, tx *rediscmd.Txn) (bool, error) {
		k, err := tx.MatchingKeys(argv[1])
		keys = append(keys, k...)
		return true, err
	})
	if err != nil {
		st.Out.Error("TRYAGAIN " + err.Error())
		return
	}
	rediscmd.WriteKeys(&st.Out, keys)
}

// cmdScan walks the led shards in shard order and each shard's keys in
// key order, examining COUNT stored entries in all from the cursor's
// position. A cursor names a position (a shard and a key) in the node's
// cursor table (rediscmd.CursorTable); a cursor the table does not know
// restarts the scan. Across a leadership change a scan leaves out the
// shards this node no longer leads (their new leader answers for them)
// and takes in those it has come to lead from where the cursor stands
// on: as Redis Cluster's SCAN across a slot migration, it may miss or
// repeat keys of the shards that moved.
func cmdScan(n *Node, st *connState, argv [][]byte) {
	w := &st.Out
	cursor, ok := rediscmd.ParseCursor(w, argv[1])
	if !ok {
		return
	}
	o, ok := rediscmd.ParseScanOptions(w, argv[2:])
	if !ok {
		return
	}
	from, key := 0, []byte(nil)
	if pos, ok := n.srv.cursors.Get(cursor); cursor != 0 && ok && len(pos) >= 2 {
		from, key = int(binary.BigEndian.Uint16(pos)), pos[2:]
	}
	var keys [][]byte
	var next uint64
	left := o.Count
	err := n.forLedShards(from, func(s int, tx *rediscmd.Txn) (bool, error) {
		if left == 0 {
			next = n.srv.cursors.Put(binary.BigEndian.AppendUint16(nil, uint16(s)))
			return false, nil
		}
		if s != from {
			key = nil
		}
		got, resume, examined, err := tx.Scan(key, left, o)
		keys, left = append(keys, got...), left-examined
		if resume != nil {
			next = n.srv.cursors.Put(append(binary.BigEndian.AppendUint16(nil, uint16(s)), resume...))
			return false, err
		}
		return true, err
	})
	if err != nil {
		w.Error("TRYAGAIN " + err.Error())
		return
	}
	rediscmd.WriteScan(w, next, keys)
}

// cmdFlushDB is one FLUSHDB entry in the log of each shard this node
// leads.
func cmdFlushDB(n *Node, st *connState, argv [][]byte) { n.flushLed(st, argv, -1) }

// flushLed is FLUSHDB of the shards this node leads but shard except:
// one entry in the log of each, in shard order. Each entry deletes its
// shard's keys in one batch, so each shard is flushed atomically; the
// shards are not flushed at one instant.
func (n *Node) flushLed(st *connState, argv [][]byte, except int) {
	if !rediscmd.ValidFlushArgs(argv) {
		st.Out.Error(rediscmd.ErrSyntax)
		return
	}
	led := n.ledShards()
	slices.Sort(led)
	for _, s := range led {
		sh := n.shard(s)
		if s == except || sh == nil {
			continue // sh nil: stopped meanwhile (a membership change)
		}
		first, _ := n.lay().SlotRange(s)
		res := n.propose(sh, s, first, [][]byte{[]byte("flushdb")})
		if res.whole != nil || len(res.replies) != 1 || string(res.replies[0]) != "+OK\r\n" {
			writeResult(&st.Out, res)
			return
		}
	}
	st.Out.OK()
}

// infoSections are INFO's sections in cluster mode, in redis-server's
// order.
var infoSections = []string{"server", "clients", "cluster", "keyspace"}

func cmdInfo(n *Node, st *connState, argv [][]byte) {
	err := rediscmd.Info(&st.Session, argv, infoSections, func(b *strings.Builder, sec string) error {
		switch sec {
		case "server":
			rediscmd.InfoServer(b, &n.env, n.Addr().String(), n.srv.started)
			rediscmd.InfoLine(b, "cluster_node_id", n.id)
		case "clients":
			b.WriteString("# Clients\r\n")
			rediscmd.InfoLine(b, "connected_clients", n.srv.clients.Load())
			rediscmd.InfoLine(b, "maxclients", n.srv.limits.MaxClients)
			rediscmd.InfoLine(b, "total_connections_received", n.srv.conns.Load())
			rediscmd.InfoLine(b, "rejected_connections", n.srv.rejected.Load())
			rediscmd.InfoLine(b, "total_commands_processed", n.srv.commands.Load())
		case "cluster":
			b.WriteString("# Cluster\r\n")
			rediscmd.InfoLine(b, "cluster_enabled", 1)
		case "keyspace":
			keys, expires, err := n.countKeys()
			if err != nil {
				return err
			}
			rediscmd.InfoKeyspace(b, keys, expires)
		}
		return nil
	})
	if err != nil {
		st.Out.Error("TRYAGAIN " + err.Error())
	}
}
