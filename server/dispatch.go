package server

import (
	"bytes"
	"strconv"
	"time"

	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/internal/resp"
	"github.com/tempestdb/tempest/server/rediscmd"
)

// execCtx is what a command the server runs itself runs with.
type execCtx struct {
	s  *Server
	c  *client
	tx *txn
	r  *resp.Writer
}

// fail replies with an engine error and discards the txn's writes.
func (x *execCtx) fail(err error) {
	(&rediscmd.Ctx{Tx: x.tx, W: x.r}).Fail(err)
}

// exec runs cmd in x: a key command over x.tx, a connection command on
// the client's session, or one of the server's own.
func (x *execCtx) exec(cmd *rediscmd.Command, args [][]byte) {
	switch {
	case cmd.Key != nil:
		cmd.Key(&rediscmd.Ctx{Tx: x.tx, W: x.r}, args)
	case cmd.Conn != nil:
		// A connection command inside EXEC writes into EXEC's reply,
		// which is the session's.
		cmd.Conn(&x.c.Session, &x.s.env, args)
	default:
		handlers[cmd.Name](x, args)
	}
}

// command runs one command of client c, appending its reply to c.Out.
func (s *Server) command(c *client, args [][]byte) {
	s.commands.Add(1)
	r := &c.Out
	if len(args) == 0 {
		return
	}
	if !s.cfg.limits().ArgsFit(r, args) {
		c.flagMulti()
		return
	}
	if bytes.EqualFold(args[0], []byte("quit")) {
		r.OK()
		c.quit = true
		return
	}
	cmd := commands.Lookup(r, args)
	if cmd == nil {
		if bytes.EqualFold(args[0], []byte("exec")) {
			s.discard(c)
		}
		c.flagMulti()
		return
	}
	if !c.Authed && cmd.Flags&rediscmd.NoAuth == 0 {
		rediscmd.Reject(r, cmd, rediscmd.ErrNoAuth)
		if cmd.Name == "exec" {
			s.discard(c)
		}
		c.flagMulti()
		return
	}
	if c.inMulti && cmd.Flags&rediscmd.NoQueue == 0 {
		c.queue = append(c.queue, rediscmd.CloneArgs(args))
		r.Simple("QUEUED")
		return
	}
	s.run(c, cmd, args)
}

// flagMulti marks an open MULTI as failed: its EXEC will abort.
func (c *client) flagMulti() {
	if c.inMulti {
		c.dirtyExec = true
	}
}

// run executes one command outside MULTI: a write in the pipeline's
// write group (group.go); anything else after closing that group, a read
// straight from the DB or a snapshot.
func (s *Server) run(c *client, cmd *rediscmd.Command, args [][]byte) {
	if cmd.Flags&rediscmd.Write != 0 {
		s.runInGroup(c, cmd, args)
		return
	}
	s.closeGroup(c)
	switch {
	case cmd.Flags&rediscmd.Snapshot != 0:
		snap := s.db.NewSnapshot()
		(&execCtx{s: s, c: c, tx: s.newSnapshotTxn(snap), r: &c.Out}).exec(cmd, args)
		snap.Close()
		s.noteRead(c)
	default:
		(&execCtx{s: s, c: c, tx: s.newReadTxn(), r: &c.Out}).exec(cmd, args)
		s.noteRead(c)
	}
}

// noteRead makes the pipeline's reply wait for every write the read may
// have seen.
func (s *Server) noteRead(c *client) {
	if t := s.dur.current(); t > c.ticket {
		c.ticket = t
	}
}

// commitLocked applies tx's writes (NoSync; durability waits at the end
// of the pipeline) and marks the watchers of the keys it touched. The
// txn's commands wrote n replies since mark; if the txn failed or the
// commit fails, nothing is written and each of those replies is replaced
// by the error.
func (s *Server) commitLocked(c *client, tx *txn, mark, n int) {
	if tx.Failed {
		c.Out.ReplaceWithError(mark, n, tx.FailMsg)
		return
	}
	if tx.B.Empty() {
		return
	}
	t := s.dur.ticketLocked()
	if _, err := s.db.Apply(tx.B, noSync); err != nil {
		c.Out.ReplaceWithError(mark, n, rediscmd.EngineError(err))
		return
	}
	if t > c.ticket {
		c.ticket = t
	}
	s.watches.touch(tx.Touched)
}

// noSync: commits wait for the pipeline's end to sync (durable.go).
var noSync = tempest.NoSync

func nowMs() int64 { return time.Now().UnixMilli() }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
