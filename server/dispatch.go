package server

import (
	"bytes"
	"strconv"
	"strings"
	"time"
)

// cmdFlags say how a command runs.
type cmdFlags uint8

const (
	// flagWrite: the command may modify keys; it runs in a write txn.
	flagWrite cmdFlags = 1 << iota
	// flagNoAuth: allowed before AUTH.
	flagNoAuth
	// flagNoQueue: runs at once inside MULTI instead of being queued.
	flagNoQueue
	// flagSnapshot: a read of several keys that must see them at one
	// moment; it reads a snapshot.
	flagSnapshot
)

// command is one entry of the command table.
type command struct {
	name  string // lower case; a subcommand's is "container|sub"
	arity int    // as redis-server's: n exactly, -n at least n
	flags cmdFlags
	run   func(x *execCtx, args [][]byte)
	// first, last and step locate the key arguments (COMMAND INFO).
	first, last, step int
	subs              map[string]*command
}

// execCtx is what a command runs with.
type execCtx struct {
	s  *Server
	c  *client
	tx *txn
	r  *reply
}

// commands is the command table, filled by init in commands.go.
var commands map[string]*command

// lookup finds the command args name, and its subcommand for a
// container. It writes the error reply redis-server gives for an unknown
// command or subcommand, or a wrong argument count, and returns nil.
func lookup(r *reply, args [][]byte) *command {
	name := strings.ToLower(string(args[0]))
	cmd := commands[name]
	if cmd == nil {
		r.error(unknownCommand(args))
		return nil
	}
	if cmd.subs != nil && len(args) >= 2 {
		sub := cmd.subs[strings.ToLower(string(args[1]))]
		if sub == nil {
			r.error("ERR unknown subcommand '" + clip(args[1], 128) + "'. Try " + strings.ToUpper(string(args[0])) + " HELP.")
			return nil
		}
		cmd = sub
	}
	if (cmd.arity > 0 && len(args) != cmd.arity) || len(args) < -cmd.arity {
		reject(r, cmd, arityError(cmd.name))
		return nil
	}
	return cmd
}

// reject replies with a refusal of cmd (before it runs). EXEC's refusal
// is EXECABORT with the reason, as redis-server 7.0's rejectCommand
// gives it (and the caller discards the transaction).
func reject(r *reply, cmd *command, msg string) {
	if cmd.name != "exec" {
		r.error(msg)
		return
	}
	r.error("EXECABORT Transaction discarded because of: " + strings.TrimPrefix(msg, "ERR "))
}

func arityError(name string) string {
	return "ERR wrong number of arguments for '" + name + "' command"
}

// unknownCommand is redis-server 7.0's message, which quotes at most
// about 128 bytes of the arguments.
func unknownCommand(args [][]byte) string {
	var b strings.Builder
	for _, a := range args[1:] {
		if b.Len() >= 128 {
			break
		}
		n := 128 - b.Len()
		b.WriteByte('\'')
		b.WriteString(clip(a, n))
		b.WriteString("' ")
	}
	return "ERR unknown command '" + clip(args[0], 128) + "', with args beginning with: " + b.String()
}

func clip(b []byte, n int) string {
	if len(b) > n {
		b = b[:n]
	}
	return string(b)
}

// command runs one command of client c, appending its reply to c.out.
func (s *Server) command(c *client, args [][]byte) {
	s.commands.Add(1)
	r := &c.out
	if len(args) == 0 {
		return
	}
	for _, a := range args {
		if len(a) > s.cfg.MaxArgBytes {
			r.error("ERR argument of " + itoa(int64(len(a))) + " bytes exceeds the limit of " + itoa(int64(s.cfg.MaxArgBytes)))
			c.flagMulti()
			return
		}
	}
	if bytes.EqualFold(args[0], []byte("quit")) {
		r.ok()
		c.quit = true
		return
	}
	cmd := lookup(r, args)
	if cmd == nil {
		if bytes.EqualFold(args[0], []byte("exec")) {
			s.discard(c)
		}
		c.flagMulti()
		return
	}
	if !c.authed && cmd.flags&flagNoAuth == 0 {
		reject(r, cmd, "NOAUTH Authentication required.")
		if cmd.name == "exec" {
			s.discard(c)
		}
		c.flagMulti()
		return
	}
	if c.inMulti && cmd.flags&flagNoQueue == 0 {
		c.queue = append(c.queue, cloneArgs(args))
		r.simple("QUEUED")
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

// cloneArgs copies args, which redcon reuses after the handler returns.
func cloneArgs(args [][]byte) [][]byte {
	out := make([][]byte, len(args))
	for i, a := range args {
		out[i] = append([]byte(nil), a...)
	}
	return out
}

// run executes one command outside MULTI: a write in the pipeline's
// write group (group.go); anything else after closing that group, a read
// straight from the DB or a snapshot.
func (s *Server) run(c *client, cmd *command, args [][]byte) {
	if cmd.flags&flagWrite != 0 {
		s.runInGroup(c, cmd, args)
		return
	}
	s.closeGroup(c)
	switch {
	case cmd.flags&flagSnapshot != 0:
		snap := s.db.NewSnapshot()
		cmd.run(&execCtx{s: s, c: c, tx: &txn{s: s, r: snap, now: nowMs()}, r: &c.out}, args)
		snap.Close()
		s.noteRead(c)
	default:
		cmd.run(&execCtx{s: s, c: c, tx: s.newReadTxn(), r: &c.out}, args)
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

func (s *Server) newReadTxn() *txn { return &txn{s: s, r: s.db, now: nowMs()} }

func (s *Server) newWriteTxn() *txn {
	b := s.db.NewIndexedBatch()
	return &txn{s: s, r: b, b: b, now: nowMs()}
}

// commitLocked applies tx's writes (NoSync; durability waits at the end
// of the pipeline) and marks the watchers of the keys it touched. The
// txn's commands wrote n replies since mark; if the txn failed or the
// commit fails, nothing is written and each of those replies is replaced
// by the error.
func (s *Server) commitLocked(c *client, tx *txn, mark, n int) {
	if tx.failed {
		c.out.replaceWithError(mark, n, tx.failMsg)
		return
	}
	if tx.b.Empty() {
		return
	}
	t := s.dur.ticketLocked()
	if _, err := s.db.Apply(tx.b, noSync); err != nil {
		c.out.replaceWithError(mark, n, engineError(err))
		return
	}
	if t > c.ticket {
		c.ticket = t
	}
	s.watches.touch(tx.touched)
}

func nowMs() int64 { return time.Now().UnixMilli() }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
