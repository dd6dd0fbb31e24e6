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
		syscall.Kill(syscall.Getpid(), syscall.SIGTERM)
		select {
		case code := <-done:
			if code != ExitOK {
				t.Fatalf("exit %d after SIGTERM; stderr: %s", code, stderr.String())
			}
		case <-time.After(10 * time.Second):
			t.Fatal("serve did not exit after SIGTERM")
		}
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
