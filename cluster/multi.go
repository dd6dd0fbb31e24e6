package cluster

import "github.com/tempestdb/tempest/server/rediscmd"

// MULTI/EXEC/WATCH in a cluster, as Redis Cluster has them: every key of
// a transaction (its queued commands' and its watched keys) is in one
// slot, led by this node. Each command is checked when it is queued
// (unknown command, arity, CROSSSLOT within the command, MOVED or
// TRYAGAIN if its slot's leader is elsewhere), and a refusal makes EXEC
// answer EXECABORT; queued commands of different slots make EXEC answer
// CROSSSLOT, and the transaction is discarded. EXEC becomes one raft entry of
// the slot's shard (execEntry): the watched keys with what WATCH saw,
// and the queued key commands, which the state machine runs atomically
// at apply time, reads included, unless a watched key changed
// (shardFSM.watchChanged). The queued commands without keys (PING,
// ECHO, HELLO, CLIENT, INFO, ...) run on the connection at EXEC, in
// their places in EXEC's reply; those over every shard the node leads
// (SCAN, KEYS, DBSIZE, FLUSHDB) run around the entry (multi_exec.go).

// multiState is a connection's MULTI.
type multiState struct {
	on    bool
	queue [][][]byte // the queued commands, checked
	dirty bool       // a command was refused: EXEC aborts
	slot  int        // the slot of the queued key commands; -1: none yet
	// crossSlot: two queued key commands are in different slots (EXEC
	// answers CROSSSLOT).
	crossSlot bool
}

// flag marks an open MULTI as failed: its EXEC will abort.
func (m *multiState) flag() {
	if m.on {
		m.dirty = true
	}
}

// discard ends the connection's transaction, if any, and forgets its
// watched keys.
func (st *connState) discard() {
	st.multi = multiState{slot: -1}
	st.watches = nil
}

func cmdMulti(_ *Node, st *connState, _ [][]byte) {
	if st.multi.on {
		st.Out.Error("ERR MULTI calls can not be nested")
		return
	}
	st.multi.on = true
	st.Out.OK()
}

func cmdDiscard(_ *Node, st *connState, _ [][]byte) {
	if !st.multi.on {
		st.Out.Error("ERR DISCARD without MULTI")
		return
	}
	st.discard()
	st.Out.OK()
}

func cmdUnwatch(_ *Node, st *connState, _ [][]byte) {
	st.watches = nil
	st.Out.OK()
}

// queue checks a command sent inside MULTI and queues it, or refuses it
// and flags the transaction.
func (n *Node) queue(st *connState, cmd *rediscmd.Command, argv [][]byte) {
	w := &st.Out
	if cmd.Key != nil {
		slot, ok := keysSlot(cmd.Keys(argv), -1)
		if !ok {
			w.Error(errCrossSlot)
			st.multi.flag()
			return
		}
		s := n.lay().ShardOfSlot(slot)
		if rep, ok := n.route(n.shard(s), s, slot); !ok {
			rep.write(w)
			st.multi.flag()
			return
		}
		if st.multi.slot >= 0 && st.multi.slot != slot {
			st.multi.crossSlot = true
		}
		st.multi.slot = slot
	}
	st.multi.queue = append(st.multi.queue, rediscmd.CloneArgs(argv))
	w.Simple("QUEUED")
}

// cmdWatch records what the keys are now, read on the leader of their
// slot once linearizable: whether each is stored and live, its version,
// and the shard's applied index the read reflects. EXEC's entry carries
// them, and the state machine decides.
func cmdWatch(n *Node, st *connState, argv [][]byte) {
	w := &st.Out
	if st.multi.on {
		w.Error("ERR WATCH inside MULTI is not allowed")
		return
	}
	slot, ok := keysSlot(argv[1:], -1)
	if !ok {
		w.Error(errCrossSlot)
		return
	}
	sh, s, ok := n.leading(w, slot)
	if !ok {
		return
	}
	if err := sh.linearize(applyTimeout); err != nil {
		n.notServed(sh, s, slot, err).write(w)
		return
	}
	if err := n.watch(st, sh, argv[1:]); err != nil {
		w.Error(rediscmd.EngineError(err))
		return
	}
	w.OK()
}

// watch reads the keys from one snapshot of shard sh and adds those not
// yet watched to st.watches.
func (n *Node) watch(st *connState, sh *shard, keys [][]byte) error {
	snap := n.db.NewSnapshot()
	defer snap.Close()
	seen, _, err := readApplied(snap, sh.fsm.prefix)
	if err != nil {
		return err
	}
	tx := n.readTxn(sh, snap)
	for _, k := range keys {
		if st.watching(k) {
			continue
		}
		e, stored, err := tx.GetRaw(k)
		if err != nil {
			return err
		}
		st.watches = append(st.watches, watched{
			key: append([]byte(nil), k...), stored: stored,
			alive: stored && !e.ExpiredAt(tx.Now), version: e.Ver, seen: seen,
		})
	}
	return nil
}

func (st *connState) watching(key []byte) bool {
	for _, w := range st.watches {
		if string(w.key) == string(key) {
			return true
		}
	}
	return false
}
