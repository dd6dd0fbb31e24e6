package cluster

import (
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tempestdb/tempest/internal/resp"
	"github.com/tempestdb/tempest/server/rediscmd"
	"github.com/tidwall/redcon"
)

// respServer is the node's Redis-protocol front end.
type respServer struct {
	n      *Node
	ln     net.Listener
	rs     *redcon.Server
	served chan error
	once   sync.Once

	started  time.Time
	limits   rediscmd.Limits
	cursors  *rediscmd.CursorTable // SCAN's
	nextID   atomic.Int64
	clients  atomic.Int64 // connections open
	conns    atomic.Int64 // connections accepted, ever
	rejected atomic.Int64 // connections refused at MaxClients
	commands atomic.Int64 // commands processed

	// gate keeps the database open under running commands: each command
	// holds it shared; Node.Close takes it exclusively (after stopping
	// raft, which ends the waits) before closing the database.
	gate   sync.RWMutex
	closed bool // guarded by gate
}

// connState is one client connection's state; only the connection's
// goroutine uses it.
type connState struct {
	rediscmd.Session
	readonly bool // READONLY: reads may be served by a follower, stale
	multi    multiState
	// watches are the keys WATCHed since the last EXEC, DISCARD or
	// UNWATCH, each with what WATCH saw (multi.go).
	watches []watched
	// piped counts the commands of the pipeline being read (redcon's
	// one read from the connection); 0 between pipelines.
	piped int
}

// Listen starts the node's RESP server on its address; Addr then
// returns the bound address.
func (n *Node) Listen() error {
	ln, err := net.Listen("tcp", n.me.Addr)
	if err != nil {
		return err
	}
	lim, err := n.cfg.limits().WithDefaults()
	if err != nil {
		ln.Close()
		return err
	}
	s := &respServer{n: n, ln: ln, served: make(chan error, 1), started: time.Now(), limits: lim,
		cursors: rediscmd.NewCursorTable(rediscmd.MaxCursors)}
	s.rs = redcon.NewServerNetwork("tcp", n.me.Addr, s.handle, s.accept, s.closedConn)
	n.srv = s
	go func() { s.served <- s.rs.Serve(ln) }()
	return nil
}

// Addr returns the RESP listener's address (nil before Listen).
func (n *Node) Addr() net.Addr {
	if n.srv == nil {
		return nil
	}
	return n.srv.ln.Addr()
}

// accept admits a connection unless MaxClients are connected, in which
// case it answers as redis-server does and closes only that connection.
func (s *respServer) accept(c redcon.Conn) bool {
	if !s.limits.Admit(&s.clients, c.NetConn()) {
		s.rejected.Add(1)
		return false
	}
	s.conns.Add(1)
	c.SetContext(&connState{Session: rediscmd.Session{
		ID:     s.nextID.Add(1),
		Authed: s.n.env.Password == "",
		Out:    resp.Writer{Proto: 2},
	}, multi: multiState{slot: -1}})
	return true
}

func (s *respServer) closedConn(redcon.Conn, error) { s.clients.Add(-1) }

func (s *respServer) close() error {
	var err error
	s.once.Do(func() {
		// redcon's Close does nothing before Serve has taken the
		// listener, so close the listener too: Serve then returns.
		s.rs.Close()
		err = s.ln.Close()
		if errors.Is(err, net.ErrClosed) {
			err = nil
		}
		<-s.served
	})
	return err
}

// handle is redcon's handler: it runs one command of a connection and
// hands its reply to redcon, which sends a pipeline's replies after its
// last command. A command beyond MaxPipeline in one pipeline, or with
// an argument over MaxArgBytes, gets an error and does not run; the
// connection goes on.
func (s *respServer) handle(c redcon.Conn, cmd redcon.Command) {
	st := c.Context().(*connState)
	argv := cmd.Args
	s.commands.Add(1)
	st.piped++
	within := s.limits.Piped(&st.Out, st.piped)
	if len(c.PeekPipeline()) == 0 {
		st.piped = 0
	}
	if !within {
		s.send(c, st)
		return
	}
	if !s.limits.ArgsFit(&st.Out, argv) {
		st.multi.flag()
		s.send(c, st)
		return
	}
	if strings.EqualFold(string(argv[0]), "quit") {
		c.WriteString("OK")
		c.Close()
		return
	}
	s.gate.RLock()
	defer s.gate.RUnlock()
	if s.closed {
		c.WriteError("CLUSTERDOWN node shutting down")
		return
	}
	s.n.command(st, argv)
	s.send(c, st)
}

// send hands the replies in st.Out to redcon.
func (s *respServer) send(c redcon.Conn, st *connState) {
	c.WriteRaw(st.Out.Buf)
	if cap(st.Out.Buf) > 1<<20 {
		st.Out.Buf = nil
	} else {
		st.Out.Buf = st.Out.Buf[:0]
	}
}

// drain waits for the running commands and refuses new ones.
func (s *respServer) drain() {
	s.gate.Lock()
	defer s.gate.Unlock()
	s.closed = true
}

// command runs one command of a connection, appending its reply to
// st.Out. The checks come in redis-server's order: the command and its
// arity, AUTH, then (key commands) the slot, then MULTI's queue.
func (n *Node) command(st *connState, argv [][]byte) {
	w := &st.Out
	cmd := commands.Lookup(w, argv)
	if cmd == nil {
		if strings.EqualFold(string(argv[0]), "exec") {
			st.discard()
		}
		st.multi.flag()
		return
	}
	if !st.Authed && cmd.Flags&rediscmd.NoAuth == 0 {
		rediscmd.Reject(w, cmd, rediscmd.ErrNoAuth)
		if cmd.Name == "exec" {
			st.discard()
		}
		st.multi.flag()
		return
	}
	if st.multi.on && cmd.Flags&rediscmd.NoQueue == 0 {
		n.queue(st, cmd, argv)
		return
	}
	n.run(st, cmd, argv)
}

// run executes one command outside MULTI.
func (n *Node) run(st *connState, cmd *rediscmd.Command, argv [][]byte) {
	switch {
	case cmd.Conn != nil:
		cmd.Conn(&st.Session, &n.env, argv)
	case cmd.Key != nil:
		n.keyCommand(st, cmd, argv)
	default:
		handlers[cmd.Name](n, st, argv)
	}
}

// keyCommand runs a key command in its shard: a write through the
// shard's raft log, a read on the leader's state once linearizable (or
// on any replica's after READONLY).
func (n *Node) keyCommand(st *connState, cmd *rediscmd.Command, argv [][]byte) {
	w := &st.Out
	slot, ok := keysSlot(cmd.Keys(argv), -1)
	if !ok {
		w.Error(errCrossSlot)
		return
	}
	s := n.lay().ShardOfSlot(slot)
	sh := n.shard(s)
	write := cmd.Flags&rediscmd.Write != 0
	if !write && st.readonly && sh.running() {
		n.read(w, sh, cmd, argv) // stale reads allowed
		return
	}
	if rep, ok := n.route(sh, s, slot); !ok {
		rep.write(w)
		return
	}
	if write {
		writeResult(w, n.propose(sh, s, slot, argv))
		return
	}
	if err := sh.linearize(applyTimeout); err != nil {
		n.notServed(sh, s, slot, err).write(w)
		return
	}
	n.read(w, sh, cmd, argv)
}

const errCrossSlot = "CROSSSLOT Keys in request don't hash to the same slot"

// keysSlot returns the slot of keys, which must all be in one slot, and
// in slot too unless it is -1; -1 and true for no keys.
func keysSlot(keys [][]byte, slot int) (int, bool) {
	for _, k := range keys {
		ks := KeySlot(k)
		if slot >= 0 && ks != slot {
			return 0, false
		}
		slot = ks
	}
	return slot, true
}

// read runs a read command on the local state of shard sh.
func (n *Node) read(w *resp.Writer, sh *shard, cmd *rediscmd.Command, argv [][]byte) {
	snap := n.db.NewSnapshot()
	defer snap.Close()
	cmd.Key(&rediscmd.Ctx{Tx: n.readTxn(sh, snap), W: w}, argv)
}

// readTxn is a read view of shard sh's keys in r, at the node's clock
// (never behind the shard's).
func (n *Node) readTxn(sh *shard, r rediscmd.Reader) *rediscmd.Txn {
	return &rediscmd.Txn{R: r, Prefix: withSub(sh.fsm.prefix, subData), Now: max(nowMillis(), sh.fsm.lastNow.Load())}
}

// propose commits an entry through the shard's raft log and returns the
// FSM's result.
func (n *Node) propose(sh *shard, s, slot int, argv [][]byte) applyResult {
	res, err := sh.commit(argv)
	switch {
	case err == nil:
		return res
	case definitelyNotApplied(err):
		return failedResult(n.notServed(sh, s, slot, err).Err)
	}
	// The entry may have been (or may yet be) committed: the client must
	// not take this for a failure and retry blindly.
	return failedResult("ERR write outcome unknown: " + err.Error())
}

// errNoResult: raft resolved an entry's future without the FSM's result.
var errNoResult = errors.New("no reply from the state machine")

// commit proposes an entry, stamped with the node's clock, to the
// shard's raft log and waits until this node's FSM applied it; it
// returns the FSM's result, or why there is none.
func (sh *shard) commit(argv [][]byte) (applyResult, error) {
	f := sh.raft.Apply(encodeEntry(nowMillis(), argv), applyTimeout)
	if err := sh.await(f, 2*applyTimeout); err != nil {
		return applyResult{}, err
	}
	res, ok := f.Response().(applyResult)
	if !ok {
		return applyResult{}, errNoResult
	}
	return res, nil
}

// writeResult writes the reply of a one-command entry.
func writeResult(w *resp.Writer, res applyResult) {
	switch {
	case res.whole != nil:
		writeRESP2(w, res.whole)
	case len(res.replies) == 1:
		writeRESP2(w, res.replies[0])
	default:
		w.Error("ERR the state machine gave no reply")
	}
}
