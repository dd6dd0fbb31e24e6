package raftmux

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/tempestdb/tempest"
)

func listen(t *testing.T) *Mux {
	t.Helper()
	m, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func layer(t *testing.T, m *Mux, shard string) *StreamLayer {
	t.Helper()
	l, err := m.StreamLayer(shard)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestHeaderRoundTrip encodes headers and requires them to read back,
// and damaged ones to be refused.
func TestHeaderRoundTrip(t *testing.T) {
	h := header{shard: "shard-7", source: "127.0.0.1:7000"}
	got, err := readHeader(bufio.NewReader(bytes.NewReader(h.encode())))
	if err != nil || got != h {
		t.Fatalf("read back %+v, %v; want %+v", got, err, h)
	}
	enc := h.encode()
	for n := range len(enc) {
		if _, err := readHeader(bufio.NewReader(bytes.NewReader(enc[:n]))); err == nil {
			t.Fatalf("header cut to %d bytes read without error", n)
		}
	}
	bad := append([]byte{}, enc...)
	bad[4] = headerVersion + 1
	if _, err := readHeader(bufio.NewReader(bytes.NewReader(bad))); !errors.Is(err, tempest.ErrInvalidArgument) {
		t.Fatalf("unknown version: %v", err)
	}
}

// TestDispatchByShard dials two shards of one Mux and requires each
// connection, with the bytes written after the header, to arrive at its
// own shard's Accept; a connection for an unknown shard is closed.
func TestDispatchByShard(t *testing.T) {
	srv, cli := listen(t), listen(t)
	a, b := layer(t, srv, "a"), layer(t, srv, "b")
	ca, cb := layer(t, cli, "a"), layer(t, cli, "b")
	for _, tc := range []struct {
		from, to *StreamLayer
		msg      string
	}{{ca, a, "to a"}, {cb, b, "to b"}} {
		c, err := tc.from.Dial(raft.ServerAddress(srv.Advertise()), time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Write([]byte(tc.msg)); err != nil {
			t.Fatal(err)
		}
		got, err := tc.to.Accept()
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, len(tc.msg))
		if _, err := io.ReadFull(got, buf); err != nil || string(buf) != tc.msg {
			t.Fatalf("shard %s read %q, %v; want %q", tc.to.shard, buf, err, tc.msg)
		}
		got.Close()
	}
	cz := layer(t, cli, "z")
	c, err := cz.Dial(raft.ServerAddress(srv.Advertise()), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil || isTimeout(err) {
		t.Fatalf("connection to an unknown shard: read %v, want it closed", err)
	}
	c.Close()
}

// TestCutAndHeal requires a cut peer's dials to fail, its connections
// to close on both sides, and Heal to restore dialing.
func TestCutAndHeal(t *testing.T) {
	srv, cli := listen(t), listen(t)
	s, c := layer(t, srv, "x"), layer(t, cli, "x")
	conn, err := c.Dial(raft.ServerAddress(srv.Advertise()), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	in, err := s.Accept()
	if err != nil {
		t.Fatal(err)
	}
	srv.Cut(cli.Advertise())
	if _, err := in.Read(make([]byte, 1)); err == nil {
		t.Fatal("accepted connection still open after Cut")
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Read(make([]byte, 1)); err == nil || isTimeout(err) {
		t.Fatalf("dialer's connection after Cut on the other side: %v, want closed", err)
	}
	// Dials from the cut peer are accepted by TCP and then closed.
	again, err := c.Dial(raft.ServerAddress(srv.Advertise()), time.Second)
	if err == nil {
		again.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := again.Read(make([]byte, 1)); err == nil || isTimeout(err) {
			t.Fatalf("dial from a cut peer: %v, want closed", err)
		}
		again.Close()
	}
	cli.Cut(srv.Advertise())
	if _, err := c.Dial(raft.ServerAddress(srv.Advertise()), time.Second); !errors.Is(err, ErrCut) {
		t.Fatalf("dial to a cut peer: %v, want ErrCut", err)
	}
	srv.Heal(cli.Advertise())
	cli.Heal(srv.Advertise())
	conn2, err := c.Dial(raft.ServerAddress(srv.Advertise()), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn2.Close()
	if _, err := s.Accept(); err != nil {
		t.Fatal(err)
	}
}

// TestCloseStopsAccept requires Accept to return ErrClosed once its
// StreamLayer or its Mux is closed, and a shard ID to be usable again
// after its StreamLayer closed.
func TestCloseStopsAccept(t *testing.T) {
	m := listen(t)
	l := layer(t, m, "s")
	if _, err := m.StreamLayer("s"); !errors.Is(err, tempest.ErrInvalidArgument) {
		t.Fatalf("second StreamLayer of a shard: %v", err)
	}
	l.Close()
	if _, err := l.Accept(); err != ErrClosed {
		t.Fatalf("Accept after Close: %v", err)
	}
	l = layer(t, m, "s")
	m.Close()
	if _, err := l.Accept(); err != ErrClosed {
		t.Fatalf("Accept after the Mux closed: %v", err)
	}
	if _, err := m.StreamLayer("t"); err != ErrClosed {
		t.Fatalf("StreamLayer on a closed Mux: %v", err)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// TestCloseEndsHeaderWait requires Close to return at once while a
// connection that never sends its header is being read.
func TestCloseEndsHeaderWait(t *testing.T) {
	m, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", m.Advertise())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	time.Sleep(50 * time.Millisecond) // let the Mux accept it
	start := time.Now()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > HeaderTimeout/2 {
		t.Fatalf("Close took %v with a header read pending", d)
	}
}
