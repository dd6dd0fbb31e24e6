package server

import (
	"github.com/tempestdb/tempest/internal/resp"
	"github.com/tempestdb/tempest/server/rediscmd"
	"github.com/tidwall/redcon"
)

// client is one connection's state. Only its connection's goroutine uses
// it, except watched and dirtyCAS, which are guarded by s.wmu.
type client struct {
	// Session holds the id, AUTH, the name and the replies of the
	// pipeline being read (Out), sent at its end.
	rediscmd.Session
	conn redcon.Conn

	// MULTI: queued commands, and whether one was refused (EXECABORT).
	inMulti   bool
	queue     [][][]byte
	dirtyExec bool

	watched  map[string]bool // key -> alive at WATCH; guarded by s.wmu
	dirtyCAS bool            // a watched key changed; guarded by s.wmu

	// group is the pipeline's open write group (group.go), held with
	// s.wmu; groupMark is where its replies begin in out, groupCmds how
	// many commands it ran.
	group     *txn
	groupMark int
	groupCmds int

	// ticket is the newest write the pipeline's replies depend on (see
	// durability); piped counts the pipeline's commands.
	ticket uint64
	piped  int
	quit   bool
}

// accept admits a connection unless MaxClients are connected, in which
// case it answers as redis-server does and closes only that connection.
func (s *Server) accept(conn redcon.Conn) bool {
	if !s.cfg.limits().Admit(&s.clients, conn.NetConn()) {
		s.rejected.Add(1)
		return false
	}
	s.conns.Add(1)
	s.connWG.Add(1)
	c := &client{
		Session: rediscmd.Session{ID: s.nextID.Add(1), Authed: s.cfg.RequirePass == "", Out: resp.Writer{Proto: 2}},
		conn:    conn,
		watched: make(map[string]bool),
	}
	conn.SetContext(c)
	return true
}

// closed forgets a connection that ended.
func (s *Server) closed(conn redcon.Conn, _ error) {
	c, ok := conn.Context().(*client)
	if !ok {
		return
	}
	s.wmu.Lock()
	s.watches.unwatchAll(c)
	s.wmu.Unlock()
	s.clients.Add(-1)
	s.connWG.Done()
}

// serveRESP is redcon's handler: it runs each command of a pipeline in
// turn, gathering the replies; after the pipeline's last command it waits
// until the writes the replies depend on are durable (appendfsync always)
// and only then hands the replies to redcon, which sends them. If that
// sync fails, the connection is closed with nothing sent.
func (s *Server) serveRESP(conn redcon.Conn, cmd redcon.Command) {
	c := conn.Context().(*client)
	if c.quit {
		return
	}
	c.piped++
	if s.cfg.limits().Piped(&c.Out, c.piped) {
		s.command(c, cmd.Args)
	}
	if len(conn.PeekPipeline()) > 0 && !c.quit {
		return
	}
	s.closeGroup(c)
	c.piped = 0
	if s.cfg.AppendFsync == FsyncAlways && c.ticket > 0 {
		if err := s.dur.wait(c.ticket); err != nil {
			s.logf("client %d: sync failed, closing the connection unanswered: %v", c.ID, err)
			c.Out.Buf = c.Out.Buf[:0]
			conn.Close()
			return
		}
	}
	c.ticket = 0
	conn.WriteRaw(c.Out.Buf)
	if cap(c.Out.Buf) > 1<<20 {
		c.Out.Buf = nil
	} else {
		c.Out.Buf = c.Out.Buf[:0]
	}
	if c.quit {
		redcon.BaseWriter(conn).Flush() // QUIT's +OK goes out before the close
		conn.Close()
	}
}
