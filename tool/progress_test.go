package tool

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the progress goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestProgressLines(t *testing.T) {
	defer func(d time.Duration) { statusInterval = d }(statusInterval)
	statusInterval = 10 * time.Millisecond
	var buf syncBuffer
	p := startProgress(progressLines, &buf, "load", 4096, nil)
	p.Add(1024)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(buf.String(), "load: 1.0 KiB of 4.0 KiB (25%)") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	p.finish(true)
	p.finish(true) // idempotent
	if !strings.Contains(buf.String(), "load: 1.0 KiB of 4.0 KiB (25%)") {
		t.Fatalf("status lines: %q", buf.String())
	}
	n := len(buf.String())
	time.Sleep(30 * time.Millisecond)
	if len(buf.String()) != n {
		t.Fatal("status lines continue after finish")
	}

	// Unknown total.
	buf = syncBuffer{}
	p = startProgress(progressLines, &buf, "load", 0, nil)
	p.Add(10)
	for !strings.Contains(buf.String(), "load: 10 B, ") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	p.finish(false)
	if !strings.Contains(buf.String(), "load: 10 B, ") {
		t.Fatalf("status lines without a total: %q", buf.String())
	}
}

func TestProgressBar(t *testing.T) {
	for _, total := range []int64{0, 1000} {
		for _, ok := range []bool{true, false} {
			var buf syncBuffer
			p := startProgress(progressBar, &buf, "check", total, nil)
			p.Add(500)
			time.Sleep(3 * barRefresh)
			p.finish(ok)
			if !strings.Contains(buf.String(), "check") {
				t.Fatalf("total %d, ok %v: bar output %q", total, ok, buf.String())
			}
		}
	}
	// Off prints nothing; auto on a non-terminal prints lines.
	var buf syncBuffer
	p := startProgress(progressOff, &buf, "x", 10, nil)
	p.Add(5)
	p.finish(true)
	if buf.String() != "" {
		t.Fatalf("progress off printed %q", buf.String())
	}
}
