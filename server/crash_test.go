//go:build unix

package server

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tempestdb/tempest/internal/testutil"

	"github.com/tempestdb/tempest/internal/resp"
)

// serveProcess is a tempest serve child process.
type serveProcess struct {
	cmd  *exec.Cmd
	addr string
}

func startServeProcess(t *testing.T, dir string) *serveProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), serveChildEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ready ") {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("child: %q, %v", line, err)
	}
	return &serveProcess{cmd: cmd, addr: strings.TrimSpace(strings.TrimPrefix(line, "ready "))}
}

func (p *serveProcess) kill() {
	p.cmd.Process.Kill() // SIGKILL
	p.cmd.Wait()
}

// TestCrashDurability: with appendfsync always, writers send SET and
// INCR to a tempest serve process, which is SIGKILLed at a random moment;
// after a restart every acknowledged write is there. Three rounds over
// one directory.
func TestCrashDurability(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	rng := testutil.NewRand(testutil.Seed(t))
	dir := t.TempDir()
	acked := map[string]string{} // key -> value acknowledged last
	var ctrAcked int64           // the highest INCR reply received
	var ctrSent int64            // INCRs sent
	for round := range 3 {
		p := startServeProcess(t, dir)
		check := dialRaw(t, p.addr)
		for k, v := range acked {
			if got := string(check.Do("GET", k)); got != fmt.Sprintf("$%d\r\n%s\r\n", len(v), v) {
				p.kill()
				t.Fatalf("round %d: GET %s = %q after restart, acknowledged %q", round, k, got, v)
			}
		}
		n := readCounter(t, check)
		if n < ctrAcked || n > ctrSent {
			p.kill()
			t.Fatalf("round %d: ctr = %d after restart; acknowledged %d, sent %d", round, n, ctrAcked, ctrSent)
		}
		ctrSent = n // what is there now is where the next INCRs start
		ctrAcked = n

		var mu sync.Mutex
		var wg sync.WaitGroup
		for w := range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				conn, err := net.Dial("tcp", p.addr)
				if err != nil {
					return
				}
				defer conn.Close()
				r := bufio.NewReader(conn)
				for i := 0; ; i++ {
					k := fmt.Sprintf("r%d-w%d-%d", round, w, i)
					v := strconv.Itoa(i)
					if _, err := conn.Write(encodeCommand("SET", k, v)); err != nil {
						return
					}
					if reply, err := readReply(r); err != nil || string(reply) != "+OK\r\n" {
						return
					}
					mu.Lock()
					acked[k] = v
					mu.Unlock()
				}
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := net.Dial("tcp", p.addr)
			if err != nil {
				return
			}
			defer conn.Close()
			r := bufio.NewReader(conn)
			for {
				mu.Lock()
				ctrSent++
				mu.Unlock()
				if _, err := conn.Write(encodeCommand("INCR", "ctr")); err != nil {
					return
				}
				reply, err := readReply(r)
				if err != nil {
					return
				}
				n, ok := resp.ParseInt(reply[1 : len(reply)-2])
				if !ok {
					return
				}
				mu.Lock()
				ctrAcked = max(ctrAcked, n)
				mu.Unlock()
			}
		}()
		time.Sleep(time.Duration(100+rng.IntN(300)) * time.Millisecond)
		p.kill()
		wg.Wait()
		t.Logf("round %d: %d keys acknowledged so far, counter acknowledged %d", round, len(acked), ctrAcked)
	}
	p := startServeProcess(t, dir)
	defer p.kill()
	check := dialRaw(t, p.addr)
	for k, v := range acked {
		if got := string(check.Do("GET", k)); got != fmt.Sprintf("$%d\r\n%s\r\n", len(v), v) {
			t.Fatalf("final: GET %s = %q, acknowledged %q", k, got, v)
		}
	}
	if n := readCounter(t, check); n < ctrAcked || n > ctrSent {
		t.Fatalf("final: ctr = %d; acknowledged %d, sent %d", n, ctrAcked, ctrSent)
	}
}

// readCounter reads the integer at "ctr" (0 if absent).
func readCounter(t *testing.T, c *rawClient) int64 {
	t.Helper()
	reply := string(c.Do("GET", "ctr"))
	if reply == "$-1\r\n" {
		return 0
	}
	i := strings.Index(reply, "\r\n")
	n, ok := resp.ParseInt([]byte(reply[i+2 : len(reply)-2]))
	if !ok {
		t.Fatalf("ctr = %q", reply)
	}
	return n
}
