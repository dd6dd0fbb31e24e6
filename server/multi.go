package server

// MULTI queues commands (dispatch.go); EXEC runs them all in one write
// txn under s.wmu, so no other client's command runs between them and
// their writes commit as one batch with one sequence number.

func cmdMulti(x *execCtx, _ [][]byte) {
	if x.c.inMulti {
		x.r.Error("ERR MULTI calls can not be nested")
		return
	}
	x.c.inMulti = true
	x.r.OK()
}

func (c *client) endMulti() {
	c.inMulti = false
	c.queue = nil
	c.dirtyExec = false
}

func cmdDiscard(x *execCtx, _ [][]byte) {
	if !x.c.inMulti {
		x.r.Error("ERR DISCARD without MULTI")
		return
	}
	x.s.discard(x.c)
	x.r.OK()
}

// discard ends c's transaction, if any, and forgets its watched keys.
func (s *Server) discard(c *client) {
	c.endMulti()
	s.wmu.Lock()
	s.watches.unwatchAll(c)
	s.wmu.Unlock()
}

func cmdWatch(x *execCtx, args [][]byte) {
	if x.c.inMulti {
		x.r.Error("ERR WATCH inside MULTI is not allowed")
		return
	}
	s := x.s
	s.wmu.Lock()
	defer s.wmu.Unlock()
	tx := s.newReadTxn()
	for _, k := range args[1:] {
		alive, err := tx.Exists(k)
		if err != nil {
			x.fail(err)
			return
		}
		s.watches.watch(x.c, k, alive)
	}
	x.r.OK()
}

func cmdUnwatch(x *execCtx, _ [][]byte) {
	x.s.wmu.Lock()
	x.s.watches.unwatchAll(x.c)
	x.s.wmu.Unlock()
	x.r.OK()
}

// cmdExec runs the queued commands. It aborts with EXECABORT if queuing
// refused a command, and with a null reply if a watched key was modified
// since WATCH, or was alive then and has expired since (as redis-server
// 7.0). Each command's reply, error replies included, goes into the
// array; the writes of all of them commit together. If the commit fails,
// EXEC's whole reply is the error and nothing was written.
func cmdExec(x *execCtx, _ [][]byte) {
	c, s := x.c, x.s
	if !c.inMulti {
		x.r.Error("ERR EXEC without MULTI")
		return
	}
	queue, dirty := c.queue, c.dirtyExec
	c.endMulti()
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if dirty {
		s.watches.unwatchAll(c)
		x.r.Error("EXECABORT Transaction discarded because of previous errors.")
		return
	}
	tx := s.newWriteTxn()
	abort, err := s.watchedChangedLocked(c, tx)
	s.watches.unwatchAll(c)
	if err != nil {
		x.fail(err)
		return
	}
	if abort {
		x.r.NullArray()
		return
	}
	mark := len(x.r.Buf)
	x.r.Array(len(queue))
	for _, args := range queue {
		cmd := commands.Lookup(x.r, args) // cannot fail: checked when queued
		if cmd == nil {
			continue
		}
		tx.Now = nowMs()
		(&execCtx{s: s, c: c, tx: tx, r: x.r}).exec(cmd, args)
		if tx.Failed {
			break
		}
	}
	s.commitLocked(c, tx, mark, 1)
	if t := s.dur.current(); t > c.ticket {
		c.ticket = t // the reads inside may have seen unsynced writes
	}
}

// watchedChangedLocked reports whether EXEC must abort for c's watched
// keys: one was modified, or was alive at WATCH and is gone now.
func (s *Server) watchedChangedLocked(c *client, tx *txn) (bool, error) {
	if c.dirtyCAS {
		return true, nil
	}
	for k, alive := range c.watched {
		if !alive {
			continue
		}
		ok, err := tx.Exists([]byte(k))
		if err != nil {
			return false, err
		}
		if !ok {
			return true, nil
		}
	}
	return false, nil
}
