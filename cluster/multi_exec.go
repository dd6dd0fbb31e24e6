package cluster

import (
	"bytes"

	"github.com/tempestdb/tempest/internal/resp"
	"github.com/tempestdb/tempest/server/rediscmd"
)

// EXEC of a transaction with keys is one entry of its slot's shard, and
// the commands over every shard the node leads (SCAN, KEYS, DBSIZE,
// FLUSHDB: keyspace.go) cannot all be part of it. So, around the entry,
// in queue order as far as one entry allows:
//
//   - FLUSHDB flushes the entry's shard in the entry, in its place among
//     the key commands (a later SET survives it, an earlier one does not;
//     a WATCH abort flushes nothing), then, after the entry, each other
//     shard the node leads with one entry of its own.
//   - SCAN, KEYS and DBSIZE queued before the transaction's first key
//     command (or FLUSHDB) run before the entry; those queued after it
//     run after the entry and see all of it. Each is linearizable as
//     outside MULTI, not atomic with the entry.
//   - The other commands without keys run after the entry.
//
// A transaction without keys or watched keys has no entry: its commands
// run at EXEC on the connection, in order.

// execPlan is a transaction at EXEC: its queued commands and the shard
// of its entry.
type execPlan struct {
	queue [][][]byte
	cmds  []*rediscmd.Command
	shard int // the shard of the transaction's entry; -1: none
}

func newExecPlan(queue [][][]byte) *execPlan {
	x := &execPlan{queue: queue, cmds: make([]*rediscmd.Command, len(queue)), shard: -1}
	var scratch resp.Writer
	for i, args := range queue {
		x.cmds[i] = commands.Lookup(&scratch, args) // checked when queued
	}
	return x
}

// inEntry reports whether queued command i runs in the entry: a key
// command, or FLUSHDB (for the entry's shard).
func (x *execPlan) inEntry(i int) bool {
	return x.shard >= 0 && (x.cmds[i].Key != nil || x.cmds[i].Name == "flushdb")
}

// entryCommands returns the queued commands that run in the entry.
func (x *execPlan) entryCommands() [][][]byte {
	var in [][][]byte
	for i, args := range x.queue {
		if x.inEntry(i) {
			in = append(in, args)
		}
	}
	return in
}

// cmdExec runs the transaction: EXECABORT if a queued command was
// refused; CROSSSLOT if the queued key commands are in different slots,
// or a watched key is in another slot than they; MOVED or TRYAGAIN if
// this node no longer leads the slot (the transaction is discarded, as
// Redis Cluster's); else one entry in the slot's shard, whose result
// fills EXEC's reply with the replies of the commands run around it. A
// transaction without keys runs on the connection.
func cmdExec(n *Node, st *connState, _ [][]byte) {
	w := &st.Out
	if !st.multi.on {
		w.Error("ERR EXEC without MULTI")
		return
	}
	m, watches := st.multi, st.watches
	st.discard()
	if m.dirty {
		w.Error("EXECABORT Transaction discarded because of previous errors.")
		return
	}
	slot, ok := execSlot(m, watches)
	if !ok {
		w.Error(errCrossSlot)
		return
	}
	x := newExecPlan(m.queue)
	if slot < 0 {
		n.writeExec(st, x, nil, nil)
		return
	}
	sh, s, ok := n.leading(w, slot)
	if !ok {
		return
	}
	x.shard = s
	early := n.runEarly(st, x)
	entry := x.entryCommands()
	res := n.propose(sh, s, slot, execEntry(watches, entry))
	switch {
	case res.whole != nil:
		writeRESP2(w, res.whole)
	case res.aborted:
		w.NullArray()
	case len(res.replies) != len(entry):
		w.Error("ERR the state machine gave no reply")
	default:
		n.writeExec(st, x, res.replies, early)
	}
}

// execSlot returns the slot of a transaction's keys (-1: none), or false
// if they are in several.
func execSlot(m multiState, watches []watched) (int, bool) {
	if m.crossSlot {
		return 0, false
	}
	slot := m.slot
	for _, k := range watches {
		var ok bool
		if slot, ok = keysSlot([][]byte{k.key}, slot); !ok {
			return 0, false
		}
	}
	return slot, true
}

// runEarly runs the SCAN, KEYS and DBSIZE queued before the entry's
// first command, and returns their replies by queue position (nil for
// the others).
func (n *Node) runEarly(st *connState, x *execPlan) [][]byte {
	early := make([][]byte, len(x.queue))
	for i, args := range x.queue {
		if x.inEntry(i) {
			break
		}
		if f := x.cmds[i].Flags; f&rediscmd.Whole == 0 || f&rediscmd.Write != 0 {
			continue
		}
		mark := len(st.Out.Buf)
		n.run(st, x.cmds[i], args)
		early[i] = bytes.Clone(st.Out.Buf[mark:])
		st.Out.Buf = st.Out.Buf[:mark]
	}
	return early
}

// writeExec writes EXEC's reply: in queue order, the reply of each
// command run before the entry (early), the state machine's reply of
// each command in the entry (replies, in order), and the reply of each
// other command, run now.
func (n *Node) writeExec(st *connState, x *execPlan, replies, early [][]byte) {
	st.Out.Array(len(x.queue))
	for i, args := range x.queue {
		switch {
		case early != nil && early[i] != nil:
			st.Out.Raw(early[i])
		case !x.inEntry(i):
			n.run(st, x.cmds[i], args)
		case x.cmds[i].Key != nil:
			writeRESP2(&st.Out, replies[0])
			replies = replies[1:]
		default: // FLUSHDB: the entry flushed its shard; now the others
			if string(replies[0]) != "+OK\r\n" {
				writeRESP2(&st.Out, replies[0])
			} else {
				n.flushLed(st, args, x.shard)
			}
			replies = replies[1:]
		}
	}
}
