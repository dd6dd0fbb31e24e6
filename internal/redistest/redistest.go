// Package redistest is what the tests of tempest serve (package server)
// and of its cluster (package cluster) share to compare their replies
// with a real redis-server 7.0: finding and starting redis-server, a raw
// RESP client, and scripted sessions with the normalizations applied
// where the two servers legitimately differ.
package redistest

import (
	"bufio"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/tempestdb/tempest/internal/resp"
	"github.com/tempestdb/tempest/vfs"
)

// NeedTool returns the path of a Redis program (redis-server,
// redis-cli, redis-benchmark). Off Linux the test is skipped; on Linux a
// missing program fails the test: scripts/install-redis.sh installs them.
func NeedTool(t testing.TB, name string) string {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skipf("%s: the Redis comparison tests run on Linux only", name)
	}
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found: run scripts/install-redis.sh (it installs Debian's redis-server and redis-tools)", name)
	}
	return p
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// StartRedis runs a redis-server configured as the diffs compare against
// (docs/testing.md): one database, no RDB snapshots, an AOF fsynced on
// every write; extra arguments override. It returns its address; the
// server is killed at the test's end.
func StartRedis(t testing.TB, extra ...string) string {
	t.Helper()
	bin := NeedTool(t, "redis-server")
	port := FreePort(t)
	dir := t.TempDir()
	args := append([]string{
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
		"--save", "", "--appendonly", "yes", "--appendfsync", "always",
		"--databases", "1", "--daemonize", "no", "--logfile", filepath.Join(dir, "redis.log"),
	}, extra...)
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	WaitListening(t, addr, func() string {
		b, _ := vfs.ReadFile(vfs.Default, filepath.Join(dir, "redis.log"))
		return string(b)
	})
	return addr
}

// WaitListening waits until addr answers PING (or refuses it for want
// of AUTH).
func WaitListening(t testing.TB, addr string, diag func() string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.SetDeadline(time.Now().Add(2 * time.Second))
			conn.Write([]byte("*1\r\n$4\r\nPING\r\n"))
			buf := make([]byte, 7)
			_, err = conn.Read(buf)
			conn.Close()
			if err == nil && (string(buf) == "+PONG\r\n" || string(buf) == "-NOAUTH") {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s never answered PING; log:\n%s", addr, diag())
}

// Client speaks RESP over one TCP connection.
type Client struct {
	t    testing.TB
	Conn net.Conn
	R    *bufio.Reader
}

// Dial connects to addr; the connection is closed at the test's end.
func Dial(t testing.TB, addr string) *Client {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	return &Client{t: t, Conn: conn, R: bufio.NewReader(conn)}
}

// Encode returns a command's RESP encoding.
func Encode(args ...string) []byte { return resp.AppendCommand(nil, args...) }

// Do sends one command and returns its raw reply.
func (c *Client) Do(args ...string) []byte {
	c.t.Helper()
	c.Conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Conn.Write(Encode(args...)); err != nil {
		c.t.Fatalf("%q: write: %v", args, err)
	}
	raw, err := resp.Read(c.R)
	if err != nil {
		c.t.Fatalf("%q: read reply: %v (got %q)", args, err, raw)
	}
	return raw
}
