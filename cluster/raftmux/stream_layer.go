package raftmux

import (
	"net"
	"time"

	"github.com/hashicorp/raft"
)

// StreamLayer is one shard's raft.StreamLayer on a Mux: Accept yields the
// connections whose header names the shard, and Dial writes that header.
type StreamLayer struct {
	m      *Mux
	shard  string
	accept chan net.Conn
	done   chan struct{} // closed by Close; guarded by m.mu
}

var _ raft.StreamLayer = (*StreamLayer)(nil)

// Accept implements net.Listener: the next connection for the shard.
func (l *StreamLayer) Accept() (net.Conn, error) {
	select {
	case c := <-l.accept:
		return c, nil
	case <-l.done:
		return nil, ErrClosed
	}
}

// deliver hands c to Accept; it reports false if the layer closed first.
func (l *StreamLayer) deliver(c net.Conn) bool {
	select {
	case l.accept <- c:
		return true
	case <-l.done:
		return false
	}
}

// Close implements net.Listener: the shard accepts no more connections
// (the Mux's listener stays open for the others).
func (l *StreamLayer) Close() error {
	l.m.mu.Lock()
	defer l.m.mu.Unlock()
	if l.m.mu.layers[l.shard] == l {
		delete(l.m.mu.layers, l.shard)
	}
	l.closeLocked()
	return nil
}

// closeLocked closes done once; l.m.mu is held.
func (l *StreamLayer) closeLocked() {
	select {
	case <-l.done:
	default:
		close(l.done)
	}
}

// Addr implements net.Listener: the Mux's advertised address, which
// raft.NetworkTransport takes as its local address.
func (l *StreamLayer) Addr() net.Addr { return advertisedAddr(l.m.advertise) }

// advertisedAddr is a node's address as other nodes dial it.
type advertisedAddr string

func (advertisedAddr) Network() string  { return "tcp" }
func (a advertisedAddr) String() string { return string(a) }

// Dial implements raft.StreamLayer: a connection to the node at address
// for this shard.
func (l *StreamLayer) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	return l.m.dial(l.shard, string(address), timeout)
}
