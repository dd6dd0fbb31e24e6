package server

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// needRedisTool returns the path of a Redis program (redis-server,
// redis-cli, redis-benchmark). Off Linux the test is skipped; on Linux a
// missing program fails the test: scripts/install-redis.sh installs them.
func needRedisTool(t testing.TB, name string) string {
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

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startRedis runs a redis-server configured as the diff compares against
// (docs/testing.md): one database, no RDB snapshots, an AOF fsynced on
// every write; extra arguments override. It returns its address.
func startRedis(t testing.TB, extra ...string) string {
	t.Helper()
	bin := needRedisTool(t, "redis-server")
	port := freePort(t)
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
	waitListening(t, addr, func() string {
		b, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
		return string(b)
	})
	return addr
}

// waitListening waits until addr answers PING.
func waitListening(t testing.TB, addr string, diag func() string) {
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

// startTempest runs a Server in this process on a free port over a new
// directory (or cfg.Dir) and returns it; it is closed at the test's end.
func startTempest(t testing.TB, cfg Config) *Server {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	s, err := Open(cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve() }()
	t.Cleanup(func() {
		if err := s.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			t.Errorf("Close: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return s
}
