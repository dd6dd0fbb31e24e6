package cluster

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/internal/redistest"
	"github.com/tempestdb/tempest/internal/resp"
)

// TestClusterLimits: on a node of a 3-node cluster, too many
// connections, too deep a pipeline and too large an argument each get
// tempest serve's error, and the other connections (and the same one,
// for the pipeline and the argument) go on working, as do the other
// nodes.
func TestClusterLimits(t *testing.T) {
	tc := newTestClusterConfig(t, 3, 1, 3, testRaft, smallDB(), func(c *Config) {
		c.MaxClients, c.MaxPipeline, c.MaxArgBytes = 2, 3, 10
		c.NoLeaderBalance = true // the leader stays the node under test
	})
	tc.waitLeadersKnown()
	addr := tc.layout.Nodes[tc.waitLeader(0)].Addr
	a, b := redistest.Dial(t, addr), redistest.Dial(t, addr)
	a.Do("PING")
	b.Do("PING")
	b = checkMaxClients(t, addr, a, b)

	// Five commands in one write: the first three run, the rest are refused.
	var p bytes.Buffer
	for range 5 {
		p.Write(redistest.Encode("INCR", "n"))
	}
	a.Conn.SetDeadline(time.Now().Add(10 * time.Second))
	a.Conn.Write(p.Bytes())
	var got []string
	for range 5 {
		r, err := resp.Read(a.R)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(r))
	}
	if got[2] != ":3\r\n" || !strings.HasPrefix(got[3], "-ERR too many pipelined commands") || !strings.HasPrefix(got[4], "-ERR too many pipelined commands") {
		t.Fatalf("deep pipeline replies: %q", got)
	}
	if r := string(a.Do("GET", "n")); r != "$1\r\n3\r\n" {
		t.Fatalf("after the deep pipeline GET n = %q", r)
	}

	// An argument over the limit runs nothing, and aborts a transaction.
	if r := string(a.Do("SET", "k", "01234567890")); !strings.HasPrefix(r, "-ERR argument of 11 bytes exceeds the limit of 10") {
		t.Fatalf("large argument: %q", r)
	}
	if r := string(a.Do("GET", "k")); r != "$-1\r\n" {
		t.Fatalf("GET k after the refused SET = %q, want nil", r)
	}
	expectSteps(t, a, [][]string{{"MULTI", "+OK"}, {"SET", "k", "01234567890", "-ERR argument of 11"}, {"EXEC", "-EXECABORT"}, {"GET", "k", "$-1\r\n"}})
	if r := string(b.Do("PING")); r != "+PONG\r\n" {
		t.Fatalf("other connection after the errors: %q", r)
	}
	for i, n := range tc.layout.Nodes {
		if n.Addr != addr {
			expectRaw(t, n.Addr, [][]string{{"PING", "+PONG"}, {"GET", "n", "-MOVED "}})
		} else if m := tc.nodes[i].srv.rejected.Load(); m < 1 {
			t.Errorf("connections refused = %d, want at least 1", m)
		}
	}
	if _, err := Open(Config{Dir: t.TempDir(), MaxPipeline: -1}); !errors.Is(err, tempest.ErrInvalidArgument) {
		t.Errorf("Open with a negative limit: %v, want ErrInvalidArgument", err)
	}
}

// checkMaxClients: with MaxClients (2) connections, a and b, open to
// addr, the next gets redis-server's refusal and is closed while a goes
// on; once b closes, a new connection is admitted, and returned.
func checkMaxClients(t *testing.T, addr string, a, b *redistest.Client) *redistest.Client {
	t.Helper()
	c := redistest.Dial(t, addr)
	c.Conn.SetDeadline(time.Now().Add(5 * time.Second))
	if got, err := resp.Read(c.R); err != nil || string(got) != "-ERR max number of clients reached\r\n" {
		t.Fatalf("third connection: %q, %v", got, err)
	}
	if _, err := c.R.ReadByte(); err != io.EOF {
		t.Fatalf("refused connection after the error: %v, want EOF", err)
	}
	if got := string(a.Do("PING")); got != "+PONG\r\n" {
		t.Fatalf("first connection after the refusal: %q", got)
	}
	// A connection's close is counted once redcon notices it.
	b.Conn.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		d := redistest.Dial(t, addr)
		d.Conn.Write(redistest.Encode("PING"))
		d.Conn.SetDeadline(time.Now().Add(5 * time.Second))
		got, err := resp.Read(d.R)
		if err == nil && string(got) == "+PONG\r\n" {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("no connection admitted 5 s after one closed: %q, %v", got, err)
		}
		d.Conn.Close()
		time.Sleep(20 * time.Millisecond)
	}
}

// expectSteps sends each step's command (all its fields but the last)
// on c and requires its raw reply to begin with the step's last field.
func expectSteps(t *testing.T, c *redistest.Client, steps [][]string) {
	t.Helper()
	for _, st := range steps {
		args, want := st[:len(st)-1], st[len(st)-1]
		if got := string(c.Do(args...)); !strings.HasPrefix(got, want) {
			t.Errorf("%q = %q, want %q...", args, got, want)
		}
	}
}
