package server

import "github.com/tempestdb/tempest/server/rediscmd"

// Write groups: the consecutive write commands of one pipeline share one
// write txn, held under s.wmu from the group's first command to its
// close, and commit as one batch. A group closes before any other
// command of the client runs (so a read sees the group's writes in the
// DB), at the end of the pipeline, and once its batch passes
// groupMaxBytes. Each command still reads what the previous ones wrote
// (the txn's indexed batch), and no other client's command runs between
// them, so the outcome is that of running them one by one; what changes
// is that a pipeline of N writes costs one commit instead of N.
//
// If one command of the group fails in the engine (a value over the
// engine's limit), the group writes nothing and every command of it
// replies with that error.

// groupMaxBytes closes a write group whose batch has grown past it.
const groupMaxBytes = 1 << 20

// runInGroup runs a write command in c's open write group, opening one
// (taking s.wmu) if there is none.
func (s *Server) runInGroup(c *client, cmd *rediscmd.Command, args [][]byte) {
	if c.group == nil {
		s.wmu.Lock()
		c.group = s.newWriteTxn()
		c.groupMark = len(c.Out.Buf)
		c.groupCmds = 0
	}
	tx := c.group
	tx.Now = nowMs()
	(&execCtx{s: s, c: c, tx: tx, r: &c.Out}).exec(cmd, args)
	c.groupCmds++
	if tx.Failed || tx.B.Len() > groupMaxBytes {
		s.closeGroup(c)
	}
}

// closeGroup commits c's open write group, if any, and releases s.wmu.
func (s *Server) closeGroup(c *client) {
	if c.group == nil {
		return
	}
	s.commitLocked(c, c.group, c.groupMark, c.groupCmds)
	c.group = nil
	s.wmu.Unlock()
}
