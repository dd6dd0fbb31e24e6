package raftmux

import (
	"bufio"
	"net"
	"sync"
)

// conn is a connection the Mux tracks so that Cut and Close can close
// it. On the accepting side it reads through the buffer that read the
// header, which may hold the first raft bytes.
type conn struct {
	net.Conn
	r    *bufio.Reader // nil on the dialing side
	m    *Mux
	peer string // the other node's advertised address
	once sync.Once
}

func (c *conn) Read(p []byte) (int, error) {
	if c.r != nil {
		return c.r.Read(p)
	}
	return c.Conn.Read(p)
}

// Close closes the connection and forgets it.
func (c *conn) Close() error {
	var err error
	c.once.Do(func() {
		c.m.untrack(c)
		err = c.Conn.Close()
	})
	return err
}
