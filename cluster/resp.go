package cluster

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"

	"github.com/tidwall/redcon"
)

// respServer is the node's Redis-protocol front end.
type respServer struct {
	n      *Node
	ln     net.Listener
	rs     *redcon.Server
	served chan error
	once   sync.Once

	// gate keeps the database open under running commands: each command
	// holds it shared; Node.Close takes it exclusively (after stopping
	// raft, which ends the waits) before closing the database.
	gate   sync.RWMutex
	closed bool // guarded by gate
}

// connState is one client connection's state.
type connState struct {
	readonly bool // READONLY: reads may be served by a follower, stale
}

// Listen starts the node's RESP server on its address; Addr then
// returns the bound address.
func (n *Node) Listen() error {
	ln, err := net.Listen("tcp", n.me.Addr)
	if err != nil {
		return err
	}
	s := &respServer{n: n, ln: ln, served: make(chan error, 1)}
	s.rs = redcon.NewServerNetwork("tcp", n.me.Addr, s.handle,
		func(c redcon.Conn) bool { c.SetContext(&connState{}); return true }, nil)
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

func (s *respServer) handle(c redcon.Conn, cmd redcon.Command) {
	st := c.Context().(*connState)
	argv := cmd.Args
	name := strings.ToLower(string(argv[0]))
	if name == "quit" {
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
	s.n.dispatch(st, name, argv).write(c)
}

// drain waits for the running commands and refuses new ones.
func (s *respServer) drain() {
	s.gate.Lock()
	defer s.gate.Unlock()
	s.closed = true
}

// dispatch runs one command and returns its reply.
func (n *Node) dispatch(st *connState, name string, argv [][]byte) Reply {
	c := commandTable[name]
	if c == nil {
		return errReply(unknownCommand(argv))
	}
	if (c.arity > 0 && len(argv) != c.arity) || (c.arity < 0 && len(argv) < -c.arity) {
		return errReply(fmt.Sprintf("ERR wrong number of arguments for '%s' command", name))
	}
	if name == "mset" && len(argv)%2 == 0 {
		return errReply("ERR wrong number of arguments for 'mset' command")
	}
	if c.first == 0 {
		return n.keyless(st, name, argv)
	}
	slot := -1
	for _, k := range c.keys(argv) {
		ks := KeySlot(k)
		if slot >= 0 && ks != slot {
			return errReply("CROSSSLOT Keys in request don't hash to the same slot")
		}
		slot = ks
	}
	s := n.lay().ShardOfSlot(slot)
	sh := n.shard(s)
	if c.read != nil && st.readonly && sh.running() {
		return n.read(sh, c, argv) // stale reads allowed
	}
	if rep, ok := n.route(sh, s, slot); !ok {
		return rep
	}
	if c.write {
		return n.propose(sh, s, slot, argv)
	}
	if err := sh.linearize(applyTimeout); err != nil {
		return n.notServed(sh, s, slot, err)
	}
	return n.read(sh, c, argv)
}

func unknownCommand(argv [][]byte) string {
	var b strings.Builder
	fmt.Fprintf(&b, "ERR unknown command '%s', with args beginning with: ", argv[0])
	for _, a := range argv[1:] {
		fmt.Fprintf(&b, "'%s' ", a)
	}
	return b.String()
}

// read runs a read command on the local state.
func (n *Node) read(sh *shard, c *command, argv [][]byte) Reply {
	snap := n.db.NewSnapshot()
	defer snap.Close()
	v := &view{r: snap, prefix: sh.fsm.prefix, now: max(nowMillis(), sh.fsm.lastNow.Load())}
	rep, err := c.read(v, argv)
	if err != nil {
		return errReply("ERR " + err.Error())
	}
	return rep
}

// propose commits a write through the shard's raft log and returns the
// FSM's reply.
func (n *Node) propose(sh *shard, s, slot int, argv [][]byte) Reply {
	f := sh.raft.Apply(encodeEntry(nowMillis(), argv), applyTimeout)
	if err := sh.await(f, 2*applyTimeout); err != nil {
		if definitelyNotApplied(err) {
			return n.notServed(sh, s, slot, err)
		}
		// The entry may have been (or may yet be) committed: the client
		// must not take this for a failure and retry blindly.
		return errReply("ERR write outcome unknown: " + err.Error())
	}
	rep, ok := f.Response().(Reply)
	if !ok {
		return errReply("ERR write outcome unknown: no reply from the state machine")
	}
	return rep
}
