//go:build unix

package tool

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tempestdb/tempest/internal/redistest"
	"github.com/tempestdb/tempest/server/rediscmd"
)

// TestServeClusterCommand runs a one-node cluster (one shard, one
// replica) with tempest serve --cluster in this process, twice: the
// first start gives the cluster flags, the restart only --dir and
// --cluster-bus, with --requirepass and --metrics-addr, and finds the
// write of the first once authenticated, and serves the node's metrics.
// The first start has --sweep-every 0 (a key expired for five default
// periods is not swept), the restart --sweep-every 20ms (it is).
func TestServeClusterCommand(t *testing.T) {
	dir := t.TempDir()
	addr, bus, metrics := freeAddr(t), freeAddr(t), freeAddr(t)
	for round := range 2 {
		args := []string{"serve", "--dir", dir, "--cluster-bus", bus}
		if round == 0 {
			args = append(args, "--addr", addr, "--cluster", "a="+addr+"/"+bus, "--node-id", "a", "--shards", "1", "--replicas", "1",
				"--metrics-addr", metrics, "--sweep-every", "0")
		} else {
			args = append(args, "--requirepass", "s3cret", "--metrics-addr", metrics, "--maxclients", "7", "--sweep-every", "20ms")
		}
		pr, pw := io.Pipe()
		var stderr syncBuffer
		done := make(chan int, 1)
		go func() {
			done <- Main(args, pw, &stderr)
			pw.Close()
		}()
		line, err := bufio.NewReader(pr).ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "tempest serve: cluster node a ready on "+addr) {
			t.Fatalf("first line %q, %v; stderr: %s", line, err, stderr.String())
		}
		go io.Copy(io.Discard, pr)
		cmd, want, auth := "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n", "+OK\r\n", ""
		if round == 1 {
			get := "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"
			if got := respUntil(t, addr, get, ""); got != "-NOAUTH Authentication required.\r\n" {
				t.Fatalf("GET before AUTH: %q", got)
			}
			cmd, want, auth = get, "$1\r\nv\r\n", "*2\r\n$4\r\nAUTH\r\n$6\r\ns3cret\r\n"
		}
		got := respUntil(t, addr, cmd, auth)
		if got != want {
			t.Fatalf("round %d: %q -> %q, want %q", round, cmd, got, want)
		}
		if round == 0 {
			respUntil(t, addr, "*5\r\n$3\r\nSET\r\n$1\r\ne\r\n$1\r\nv\r\n$2\r\nPX\r\n$2\r\n30\r\n", "")
			time.Sleep(5 * rediscmd.SweepEvery)
			if got := waitMetric(t, metrics, "tempest_cluster_expired_keys_total", 0); got != "0" {
				t.Errorf("--sweep-every 0: tempest_cluster_expired_keys_total %s, want 0", got)
			}
		}
		if round == 1 {
			if got := waitMetric(t, metrics, "tempest_cluster_expired_keys_total", 5*time.Second); got != "1" {
				t.Errorf("--sweep-every 20ms: tempest_cluster_expired_keys_total %s, want 1 (e)", got)
			}
			checkClusterMetrics(t, metrics)
			c := redistest.Dial(t, addr)
			c.Do("AUTH", "s3cret")
			if info := string(c.Do("INFO", "clients")); !strings.Contains(info, "\r\nmaxclients:7\r\n") {
				t.Errorf("INFO clients after --maxclients 7: %q", info)
			}
		}
		sigtermAndWait(t, done, &stderr)
	}
}

// checkClusterMetrics requires the node's /metrics at addr to have the
// engine's metrics and the node's, leading its one shard.
func checkClusterMetrics(t *testing.T, addr string) {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, want := range []string{"\ntempest_cluster_shards_led 1\n", "\ntempest_cluster_connected_clients ", "\ntempest_cluster_rejected_connections_total ", "\ntempest_wal_syncs_total "} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics has no %q:\n%s", want, body)
		}
	}
}

// waitMetric returns the value of the metric name (without labels) at
// addr's /metrics once it is not 0, or when wait has passed.
func waitMetric(t *testing.T, addr, name string, wait time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		_, rest, ok := strings.Cut(string(body), "\n"+name+" ")
		if !ok {
			t.Fatalf("/metrics has no %s:\n%s", name, body)
		}
		v, _, _ := strings.Cut(rest, "\n")
		if v != "0" || time.Now().After(deadline) {
			return v
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// respUntil sends cmd (after auth, an AUTH command whose +OK it reads,
// if not empty) until the reply is no longer TRYAGAIN (the shard elects
// its leader first) and returns the reply's first line(s).
func respUntil(t *testing.T, addr, cmd, auth string) string {
	deadline := time.Now().Add(20 * time.Second)
	for {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conn.Write([]byte(auth + cmd))
		r := bufio.NewReader(conn)
		if auth != "" {
			if ok, _ := r.ReadString('\n'); ok != "+OK\r\n" {
				t.Fatalf("AUTH: %q", ok)
			}
		}
		got, _ := r.ReadString('\n')
		if strings.HasPrefix(got, "$") && got != "$-1\r\n" {
			rest, _ := r.ReadString('\n')
			got += rest
		}
		conn.Close()
		if !strings.HasPrefix(got, "-TRYAGAIN") || time.Now().After(deadline) {
			return got
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestServeClusterFlagErrors: malformed or inconsistent cluster flags
// are refused at start.
func TestServeClusterFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--cluster", "a=127.0.0.1:1", "--node-id", "a", "--shards", "1", "--replicas", "1"}, "not id=addr/bus"},
		{[]string{"--cluster", "a=127.0.0.1:1/127.0.0.1:2", "--node-id", "b", "--shards", "1", "--replicas", "1"}, "not in --cluster"},
		{[]string{"--cluster", "a=127.0.0.1:1/127.0.0.1:2", "--node-id", "a", "--shards", "1", "--replicas", "2"}, "2 replicas with 1 nodes"},
		{[]string{"--cluster", "a=127.0.0.1:1/0.0.0.0:2", "--node-id", "a", "--shards", "1", "--replicas", "1", "--requirepass", "x"}, "the bus has no authentication"},
		{[]string{"--cluster", "a=0.0.0.0:1/127.0.0.1:2", "--node-id", "a", "--shards", "1", "--replicas", "1"}, "without a password"},
		{[]string{"--cluster-bus", "127.0.0.1:2"}, "holds no cluster"},
		{[]string{"--cluster", "a=127.0.0.1:1/127.0.0.1:2", "--node-id", "a", "--shards", "1", "--replicas", "1", "--join", "127.0.0.1:1"}, "exclude each other"},
		{[]string{"--cluster-bus", "127.0.0.1:2", "--join", "127.0.0.1:1"}, "joining needs --node-id"},
	} {
		var stdout, stderr bytes.Buffer
		code := Main(append([]string{"serve", "--dir", t.TempDir()}, tc.args...), &stdout, &stderr)
		if code == ExitOK || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %q", tc.args, code, stderr.String(), tc.want)
		}
	}
}

// TestServeClusterJoin: a one-node cluster (one shard, one replica);
// a second tempest serve joins it with --join, and CLUSTER REPLACE a b
// moves the shard's only replica to it (the leader adds b before it
// removes itself). b then serves the key written on a, and both exit on
// SIGTERM.
func TestServeClusterJoin(t *testing.T) {
	addrA, busA, addrB, busB := freeAddr(t), freeAddr(t), freeAddr(t), freeAddr(t)
	nodes := [][]string{
		{"serve", "--dir", t.TempDir(), "--addr", addrA, "--cluster-bus", busA, "--cluster", "a=" + addrA + "/" + busA, "--node-id", "a", "--shards", "1", "--replicas", "1"},
		{"serve", "--dir", t.TempDir(), "--addr", addrB, "--cluster-bus", busB, "--node-id", "b", "--join", addrA},
	}
	var done []chan int
	for i, args := range nodes {
		pr, pw := io.Pipe()
		var stderr syncBuffer
		d := make(chan int, 1)
		go func() {
			d <- Main(args, pw, &stderr)
			pw.Close()
		}()
		done = append(done, d)
		line, err := bufio.NewReader(pr).ReadString('\n')
		if err != nil || !strings.Contains(line, " ready on ") {
			t.Fatalf("node %d: first line %q, %v; stderr: %s", i, line, err, stderr.String())
		}
		go io.Copy(io.Discard, pr)
		if i == 0 {
			set := "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"
			if got := respUntil(t, addrA, set, ""); got != "+OK\r\n" {
				t.Fatalf("SET on a: %q", got)
			}
		}
	}
	replace := "*4\r\n$7\r\nCLUSTER\r\n$7\r\nREPLACE\r\n$1\r\na\r\n$1\r\nb\r\n"
	if got := respUntil(t, addrA, replace, ""); got != "+OK\r\n" {
		t.Fatalf("CLUSTER REPLACE a b: %q", got)
	}
	get, want := "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", "$1\r\nv\r\n"
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := respUntil(t, addrB, get, "")
		if got == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET k on b: %q, want %q", got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
	syscall.Kill(syscall.Getpid(), syscall.SIGTERM)
	for i, d := range done {
		select {
		case code := <-d:
			if code != ExitOK {
				t.Fatalf("node %d: exit %d after SIGTERM", i, code)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("node %d did not exit after SIGTERM", i)
		}
	}
}
