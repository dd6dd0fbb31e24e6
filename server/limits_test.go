package server

import (
	"bytes"
	"errors"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tempestdb/tempest"
)

// TestLimits: too many connections, too deep a pipeline and too large an
// argument each get a clean error, and the other connections (and the
// same one, for the pipeline and the argument) go on working.
func TestLimits(t *testing.T) {
	s := startTempest(t, Config{MaxClients: 2, MaxPipeline: 3, MaxArgBytes: 10})
	a, b := dialRaw(t, s.Addr().String()), dialRaw(t, s.Addr().String())
	a.Do("PING")
	b.Do("PING")
	c := dialRaw(t, s.Addr().String())
	c.Conn.SetDeadline(time.Now().Add(5 * time.Second))
	if got, err := readReply(c.R); err != nil || string(got) != "-ERR max number of clients reached\r\n" {
		t.Fatalf("third connection: %q, %v", got, err)
	}
	if got := string(a.Do("PING")); got != "+PONG\r\n" {
		t.Fatalf("first connection after the refusal: %q", got)
	}

	// Five commands in one write: the first three run, the rest are refused.
	var p bytes.Buffer
	for range 5 {
		p.Write(encodeCommand("INCR", "n"))
	}
	a.Conn.Write(p.Bytes())
	var got []string
	for range 5 {
		r, err := readReply(a.R)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(r))
	}
	if got[2] != ":3\r\n" || !strings.HasPrefix(got[3], "-ERR too many pipelined commands") || !strings.HasPrefix(got[4], "-ERR") {
		t.Fatalf("deep pipeline replies: %q", got)
	}
	if r := string(a.Do("GET", "n")); r != "$1\r\n3\r\n" {
		t.Fatalf("after the deep pipeline GET n = %q", r)
	}
	if r := string(a.Do("SET", "k", "01234567890")); !strings.HasPrefix(r, "-ERR argument of 11 bytes exceeds the limit of 10") {
		t.Fatalf("large argument: %q", r)
	}
	if r := string(b.Do("PING")); r != "+PONG\r\n" {
		t.Fatalf("other connection after the errors: %q", r)
	}
}

// TestBindRefusedWithoutPassword: listening beyond loopback needs a
// password.
func TestBindRefusedWithoutPassword(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0"} {
		_, err := Open(Config{Dir: t.TempDir(), Addr: addr})
		if !errors.Is(err, tempest.ErrInvalidArgument) || !strings.Contains(err.Error(), "without a password") {
			t.Errorf("Open(%s) without a password: %v, want a refusal", addr, err)
		}
	}
	if _, err := Open(Config{Dir: t.TempDir(), Addr: "127.0.0.1:0", AppendFsync: "no"}); !errors.Is(err, tempest.ErrInvalidArgument) {
		t.Errorf("appendfsync no: %v, want ErrInvalidArgument", err)
	}
}

// TestAppendFsync: with always, each acknowledged write on one
// connection cost a WAL fsync (nothing could group them); with everysec,
// writes are acknowledged unsynced and a sync follows within a second.
func TestAppendFsync(t *testing.T) {
	always := startTempest(t, Config{})
	c := dialRaw(t, always.Addr().String())
	before := always.db.Metrics().WAL.Syncs
	for range 20 {
		c.Do("SET", "k", "v")
	}
	if n := always.db.Metrics().WAL.Syncs - before; n < 20 {
		t.Fatalf("always: %d fsyncs for 20 sequential writes, want >= 20", n)
	}
	every := startTempest(t, Config{AppendFsync: FsyncEverySec})
	c = dialRaw(t, every.Addr().String())
	before = every.db.Metrics().WAL.Syncs
	start := time.Now()
	for range 20 {
		c.Do("SET", "k", "v")
	}
	// At most one sync a second began meanwhile, and one may have run.
	if n, most := every.db.Metrics().WAL.Syncs-before, uint64(2+time.Since(start)/time.Second); n > most {
		t.Fatalf("everysec: %d fsyncs during 20 writes in %v, want at most %d (once a second)", n, time.Since(start), most)
	}
	deadline := time.Now().Add(3 * time.Second)
	for every.db.Metrics().WAL.Syncs == before {
		if time.Now().After(deadline) {
			t.Fatal("everysec: no fsync within 3 s of the writes")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestRedisBenchmarkSmoke runs redis-benchmark briefly against tempest
// serve, plainly and pipelined, and requires it to finish every test
// with no error.
func TestRedisBenchmarkSmoke(t *testing.T) {
	bench := needRedisTool(t, "redis-benchmark")
	s := startTempest(t, Config{})
	for _, extra := range [][]string{{"-c", "10"}, {"-c", "4", "-P", "16"}} {
		args := append([]string{"-p", strconv.Itoa(s.Addr().(*net.TCPAddr).Port), "-n", "2000", "-t", "set,get,incr,mset", "-q"}, extra...)
		out, err := exec.Command(bench, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("redis-benchmark %q: %v\n%s", args, err, out)
		}
		text := string(out)
		for _, test := range []string{"SET:", "GET:", "INCR:", "MSET (10 keys):"} {
			if !strings.Contains(text, test) {
				t.Errorf("redis-benchmark %q: no result for %s in:\n%s", args, test, text)
			}
		}
		if strings.Contains(strings.ToLower(text), "error") {
			t.Errorf("redis-benchmark %q reported an error:\n%s", args, text)
		}
		t.Logf("redis-benchmark %q:\n%s", args, text)
	}
}

// TestWriteGroupFailure: when one write of a pipeline's write group fails
// in the engine (a value over MaxValueSize), the group writes nothing and
// each of its commands answers the error; the pipeline goes on after it.
func TestWriteGroupFailure(t *testing.T) {
	s := startTempest(t, Config{DBOptions: &tempest.Options{MaxValueSize: 64}})
	c := dialRaw(t, s.Addr().String())
	var p bytes.Buffer
	p.Write(encodeCommand("SET", "a", "1"))
	p.Write(encodeCommand("SET", "b", strings.Repeat("x", 100)))
	p.Write(encodeCommand("SET", "c", "3"))
	p.Write(encodeCommand("MGET", "a", "b", "c"))
	c.Conn.Write(p.Bytes())
	var got []string
	for range 4 {
		r, err := readReply(c.R)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(r))
	}
	if !strings.HasPrefix(got[0], "-ERR ") || got[0] != got[1] || !strings.Contains(got[0], "MaxValueSize") {
		t.Fatalf("the failed group's replies: %q", got[:2])
	}
	if got[2] != "+OK\r\n" || got[3] != "*3\r\n$-1\r\n$-1\r\n$1\r\n3\r\n" {
		t.Fatalf("after the failed group: %q", got[2:])
	}
}
