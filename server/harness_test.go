package server

import (
	"bufio"
	"errors"
	"net"
	"testing"

	"github.com/tempestdb/tempest/internal/redistest"
	"github.com/tempestdb/tempest/internal/resp"
)

// The raw client and redis-server helpers of internal/redistest, under
// the names these tests use.
type rawClient = redistest.Client

func dialRaw(t testing.TB, addr string) *rawClient    { return redistest.Dial(t, addr) }
func needRedisTool(t testing.TB, name string) string  { return redistest.NeedTool(t, name) }
func startRedis(t testing.TB, extra ...string) string { return redistest.StartRedis(t, extra...) }
func encodeCommand(args ...string) []byte             { return redistest.Encode(args...) }
func readReply(r *bufio.Reader) ([]byte, error)       { return resp.Read(r) }

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
