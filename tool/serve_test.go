//go:build unix

package tool

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tempestdb/tempest/internal/redistest"
	"github.com/tempestdb/tempest/server/rediscmd"
)

// TestServeCommand runs tempest serve in this process: it answers on
// --addr, serves /metrics on --metrics-addr, and on SIGTERM syncs, closes
// and exits 0; a restart over the directory has the write.
func TestServeCommand(t *testing.T) {
	dir := t.TempDir()
	for round := range 2 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		pr, pw := io.Pipe()
		var stderr syncBuffer
		done := make(chan int, 1)
		go func() {
			done <- Main([]string{"serve", "--dir", dir, "--addr", addr, "--metrics-addr", "127.0.0.1:0"}, pw, &stderr)
			pw.Close()
		}()
		line, err := bufio.NewReader(pr).ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "tempest serve: ready on "+addr) {
			t.Fatalf("first line %q, %v; stderr: %s", line, err, stderr.String())
		}
		go io.Copy(io.Discard, pr)
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		r := bufio.NewReader(conn)
		cmd := "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"
		want := "$-1\r\n"
		if round == 0 {
			cmd = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"
			want = "+OK\r\n"
		} else {
			want = "$1\r\n"
		}
		conn.Write([]byte(cmd))
		got, _ := r.ReadString('\n')
		conn.Close()
		if got != want {
			t.Fatalf("round %d: %q -> %q, want %q", round, cmd, got, want)
		}
		m := regexp.MustCompile(`metrics on (http://\S+)`).FindStringSubmatch(stderr.String())
		if m == nil {
			t.Fatalf("no metrics address in stderr: %s", stderr.String())
		}
		resp, err := http.Get(m[1])
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !bytes.Contains(body, []byte("tempest_wal_syncs_total")) || !bytes.Contains(body, []byte("tempest_serve_commands_total")) {
			t.Fatalf("/metrics lacks the engine's or the server's metrics:\n%.500s", body)
		}
		sigtermAndWait(t, done, &stderr)
		if !strings.Contains(stderr.String(), "terminated: syncing and closing") {
			t.Fatalf("stderr: %s", stderr.String())
		}
	}
}

// TestServeRefusesOpenBind: no password and a non-loopback address is an
// error at start.
func TestServeRefusesOpenBind(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := Main([]string{"serve", "--dir", t.TempDir(), "--addr", "0.0.0.0:0"}, &stdout, &stderr)
	if code == ExitOK || !strings.Contains(stderr.String(), "without a password") {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
}

// serveInProcess runs tempest serve with args in this process until its
// first line, and returns a function that stops it with SIGTERM and
// waits for exit 0.
func serveInProcess(t *testing.T, args ...string) (stop func()) {
	t.Helper()
	pr, pw := io.Pipe()
	var stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Main(append([]string{"serve"}, args...), pw, &stderr)
		pw.Close()
	}()
	if line, err := bufio.NewReader(pr).ReadString('\n'); err != nil || !strings.HasPrefix(line, "tempest serve: ") {
		t.Fatalf("first line %q, %v; stderr: %s", line, err, stderr.String())
	}
	go io.Copy(io.Discard, pr)
	return func() {
		t.Helper()
		sigtermAndWait(t, done, &stderr)
	}
}

// TestServeSweepEvery: --sweep-every reaches the server. With 0 there is
// no sweep: a key expired for five default periods is still stored
// (INFO's expired_keys stays 0); with 1h, restarted over the same
// directory, neither. Restarted with 20ms, the sweep deletes the key the
// first run left.
func TestServeSweepEvery(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		every string
		want  string
	}{{"0", "expired_keys:0\r\n"}, {"1h", "expired_keys:0\r\n"}, {"20ms", "expired_keys:1\r\n"}} {
		addr := freeAddr(t)
		stop := serveInProcess(t, "--dir", dir, "--addr", addr, "--sweep-every", c.every)
		rc := redistest.Dial(t, addr)
		if c.every == "0" {
			rc.Do("SET", "k", "v", "PX", "30")
		}
		// Without a sweep, wait it out; with one, until it has run.
		deadline := time.Now().Add(5 * rediscmd.SweepEvery)
		info := ""
		for time.Now().Before(deadline) && (c.every != "20ms" || !strings.Contains(info, c.want)) {
			time.Sleep(10 * time.Millisecond)
			info = string(rc.Do("INFO", "stats"))
		}
		if !strings.Contains(info, c.want) {
			t.Errorf("--sweep-every %s: INFO stats after %v = %q, want %q", c.every, 5*rediscmd.SweepEvery, info, c.want)
		}
		stop()
	}
}

// TestServeSweepEveryRefused: a --sweep-every that is no duration, or is
// positive and under a millisecond, is refused at start, in cluster
// mode too.
func TestServeSweepEveryRefused(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--sweep-every", "soon"}, `invalid argument "soon" for "--sweep-every" flag`},
		{[]string{"--sweep-every", "10us"}, "--sweep-every 10µs: want 0 (no sweep) or at least 1ms"},
		{[]string{"--sweep-every", "1ns", "--cluster", "a=127.0.0.1:1/127.0.0.1:2", "--node-id", "a", "--shards", "1", "--replicas", "1"}, "--sweep-every 1ns: want 0"},
	} {
		var stdout, stderr bytes.Buffer
		code := Main(append([]string{"serve", "--dir", t.TempDir()}, tc.args...), &stdout, &stderr)
		if code == ExitOK || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %q", tc.args, code, stderr.String(), tc.want)
		}
	}
}

// sigtermAndWait sends the process SIGTERM and waits up to 20 s for the
// serve command running in it to exit (its exit code on done), with
// ExitOK.
func sigtermAndWait(t *testing.T, done <-chan int, stderr *syncBuffer) {
	t.Helper()
	syscall.Kill(syscall.Getpid(), syscall.SIGTERM)
	select {
	case code := <-done:
		if code != ExitOK {
			t.Fatalf("exit %d after SIGTERM; stderr: %s", code, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not exit after SIGTERM")
	}
}
