package raftmux

import (
	"bufio"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/tempestdb/tempest/internal/base"
)

// HeaderTimeout bounds the wait for a stream header, and the write of one.
const HeaderTimeout = 10 * time.Second

var (
	// ErrCut is returned by Dial to a peer that is cut off.
	ErrCut = errors.New("raftmux: peer is cut off")
	// ErrClosed is returned by Accept of a closed StreamLayer or Mux, and
	// by StreamLayer on a closed Mux.
	ErrClosed = errors.New("raftmux: closed")
)

// Mux serves one listener to the StreamLayers of many shards.
type Mux struct {
	ln        net.Listener
	advertise string
	wg        sync.WaitGroup // the accept loop and header reads

	mu struct {
		sync.Mutex
		closed  bool
		layers  map[string]*StreamLayer // by shard ID
		pending map[net.Conn]struct{}   // accepted, header not read yet
		conns   map[*conn]struct{}      // open connections, both directions
		cut     map[string]bool         // peers cut off
	}
}

// Listen listens on addr (host:port; port 0 picks one) and advertises
// the address it got.
func Listen(addr string) (*Mux, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return New(ln, ln.Addr().String())
}

// New serves ln, whose address other nodes dial as advertise (the
// address raft knows this node by). The Mux owns ln.
func New(ln net.Listener, advertise string) (*Mux, error) {
	if err := checkName("advertised address", advertise); err != nil {
		return nil, err
	}
	m := &Mux{ln: ln, advertise: advertise}
	m.mu.layers = map[string]*StreamLayer{}
	m.mu.pending = map[net.Conn]struct{}{}
	m.mu.conns = map[*conn]struct{}{}
	m.mu.cut = map[string]bool{}
	m.wg.Add(1)
	go m.acceptLoop()
	return m, nil
}

// Addr returns the listener's address.
func (m *Mux) Addr() net.Addr { return m.ln.Addr() }

// Advertise returns the address other nodes dial this node by.
func (m *Mux) Advertise() string { return m.advertise }

// StreamLayer returns a new StreamLayer for shard. A shard has one
// StreamLayer at a time: close it before asking for another.
func (m *Mux) StreamLayer(shard string) (*StreamLayer, error) {
	if err := checkName("shard ID", shard); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.mu.closed {
		return nil, ErrClosed
	}
	if m.mu.layers[shard] != nil {
		return nil, base.InvalidArgumentf("raftmux: shard %q already has a StreamLayer", shard)
	}
	l := &StreamLayer{m: m, shard: shard, accept: make(chan net.Conn), done: make(chan struct{})}
	m.mu.layers[shard] = l
	return l, nil
}

// Close stops the listener, closes every StreamLayer and connection, and
// waits for the Mux's goroutines.
func (m *Mux) Close() error {
	m.mu.Lock()
	if m.mu.closed {
		m.mu.Unlock()
		return nil
	}
	m.mu.closed = true
	for _, l := range m.mu.layers {
		l.closeLocked()
	}
	conns := m.openConnsLocked(func(*conn) bool { return true })
	for nc := range m.mu.pending {
		nc.Close() // ends its header read at once
	}
	m.mu.Unlock()
	err := m.ln.Close()
	for _, c := range conns {
		c.Close()
	}
	m.wg.Wait()
	return err
}

// Cut cuts the network between this node and peer (an advertised
// address) until Heal: see the package doc.
func (m *Mux) Cut(peer string) {
	m.mu.Lock()
	m.mu.cut[peer] = true
	conns := m.openConnsLocked(func(c *conn) bool { return c.peer == peer })
	m.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

// Heal undoes Cut(peer).
func (m *Mux) Heal(peer string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.mu.cut, peer)
}

// openConnsLocked returns the open connections keep selects.
func (m *Mux) openConnsLocked(keep func(*conn) bool) []*conn {
	var out []*conn
	for c := range m.mu.conns {
		if keep(c) {
			out = append(out, c)
		}
	}
	return out
}

// track records c unless the Mux is closed or c's peer is cut off.
func (m *Mux) track(c *conn) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case m.mu.closed:
		return ErrClosed
	case m.mu.cut[c.peer]:
		return ErrCut
	}
	m.mu.conns[c] = struct{}{}
	return nil
}

func (m *Mux) untrack(c *conn) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.mu.conns, c)
}

// acceptLoop accepts connections until the listener closes.
func (m *Mux) acceptLoop() {
	defer m.wg.Done()
	for {
		nc, err := m.ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			return // closed
		}
		m.mu.Lock()
		if m.mu.closed {
			m.mu.Unlock()
			nc.Close()
			return
		}
		m.mu.pending[nc] = struct{}{}
		m.wg.Add(1)
		m.mu.Unlock()
		go m.handshake(nc)
	}
}

// handshake reads nc's header and hands it to its shard's StreamLayer,
// or closes it.
func (m *Mux) handshake(nc net.Conn) {
	defer m.wg.Done()
	r := bufio.NewReader(nc)
	nc.SetReadDeadline(time.Now().Add(HeaderTimeout))
	h, err := readHeader(r)
	nc.SetReadDeadline(time.Time{})
	m.mu.Lock()
	delete(m.mu.pending, nc)
	m.mu.Unlock()
	if err != nil {
		nc.Close()
		return
	}
	c := &conn{Conn: nc, r: r, m: m, peer: h.source}
	if err := m.track(c); err != nil {
		nc.Close()
		return
	}
	m.mu.Lock()
	l := m.mu.layers[h.shard]
	m.mu.Unlock()
	if l == nil || !l.deliver(c) {
		c.Close()
	}
}

// dial connects to peer for shard and writes the header.
func (m *Mux) dial(shard, peer string, timeout time.Duration) (net.Conn, error) {
	if m.isCut(peer) {
		return nil, ErrCut
	}
	nc, err := net.DialTimeout("tcp", peer, timeout)
	if err != nil {
		return nil, err
	}
	c := &conn{Conn: nc, m: m, peer: peer}
	if err := m.track(c); err != nil {
		nc.Close()
		return nil, err
	}
	nc.SetWriteDeadline(time.Now().Add(min(timeout, HeaderTimeout)))
	_, err = nc.Write(header{shard: shard, source: m.advertise}.encode())
	nc.SetWriteDeadline(time.Time{})
	if err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (m *Mux) isCut(peer string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.mu.cut[peer]
}
