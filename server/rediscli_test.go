package server

import (
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// cliSteps are the commands TestRedisCLI runs through redis-cli (one
// process each, as a user would) and what redis-cli must print (its
// output with trailing newlines trimmed). RESP3 output differs from
// RESP2 only where noted.
var cliSteps = []struct {
	args        []string
	want, want3 string
	ttl         bool // want is a TTL: up to 5 seconds less is right too
}{
	{args: []string{"PING"}, want: "PONG"},
	{args: []string{"PING", "hi"}, want: "hi"},
	{args: []string{"ECHO", "hello world"}, want: "hello world"},
	{args: []string{"SELECT", "0"}, want: "OK"},
	{args: []string{"SELECT", "1"}, want: "ERR DB index is out of range"},
	{args: []string{"FLUSHDB"}, want: "OK"},
	{args: []string{"SET", "k", "v"}, want: "OK"},
	{args: []string{"SET", "k", "v2", "NX"}, want: ""},
	{args: []string{"SET", "k", "v2", "XX", "GET"}, want: "v"},
	{args: []string{"SET", "t", "x", "EX", "100"}, want: "OK"},
	{args: []string{"SET", "t", "y", "KEEPTTL"}, want: "OK"},
	{args: []string{"SET", "p", "x", "PX", "100000"}, want: "OK"},
	{args: []string{"SET", "q", "x", "EXAT", "99999999999"}, want: "OK"},
	{args: []string{"SET", "r", "x", "PXAT", "99999999999999"}, want: "OK"},
	{args: []string{"GET", "k"}, want: "v2"},
	{args: []string{"GET", "nokey"}, want: ""},
	{args: []string{"TTL", "t"}, want: "100", ttl: true},
	{args: []string{"GETDEL", "k"}, want: "v2"},
	{args: []string{"SETNX", "k", "1"}, want: "1"},
	{args: []string{"SETNX", "k", "2"}, want: "0"},
	{args: []string{"MSET", "a", "1", "b", "2"}, want: "OK"},
	{args: []string{"MSETNX", "a", "1", "c", "3"}, want: "0"},
	{args: []string{"MGET", "a", "b", "c"}, want: "1\n2\n"},
	{args: []string{"INCR", "a"}, want: "2"},
	{args: []string{"INCRBY", "a", "10"}, want: "12"},
	{args: []string{"DECR", "a"}, want: "11"},
	{args: []string{"DECRBY", "a", "20"}, want: "-9"},
	{args: []string{"INCR", "t"}, want: "ERR value is not an integer or out of range"},
	{args: []string{"APPEND", "b", "34"}, want: "3"},
	{args: []string{"STRLEN", "b"}, want: "3"},
	{args: []string{"GETRANGE", "b", "1", "-1"}, want: "34"},
	{args: []string{"EXISTS", "a", "b", "nokey"}, want: "2"},
	{args: []string{"EXPIRE", "a", "100"}, want: "1"},
	{args: []string{"EXPIRE", "a", "50", "GT"}, want: "0"},
	{args: []string{"PEXPIRE", "a", "200000", "XX"}, want: "1"},
	{args: []string{"TTL", "a"}, want: "200", ttl: true},
	{args: []string{"EXPIREAT", "a", "99999999999", "NX"}, want: "0"},
	{args: []string{"PEXPIREAT", "a", "1"}, want: "1"},
	{args: []string{"EXISTS", "a"}, want: "0"},
	{args: []string{"PTTL", "b"}, want: "-1"},
	{args: []string{"PERSIST", "t"}, want: "1"},
	{args: []string{"TTL", "t"}, want: "-1"},
	{args: []string{"DEL", "b", "nokey"}, want: "1"},
	{args: []string{"UNLINK", "t"}, want: "1"},
	{args: []string{"KEYS", "*"}, want: "k\np\nq\nr"},
	{args: []string{"SCAN", "0", "MATCH", "[pq]", "COUNT", "100"}, want: "0\np\nq"},
	{args: []string{"DBSIZE"}, want: "4"},
	{args: []string{"CLIENT", "SETNAME", "cli"}, want: "OK"},
	{args: []string{"CLIENT", "GETNAME"}, want: ""},
	{args: []string{"CONFIG", "GET", "save"}, want: "save\n", want3: "save "},
	{args: []string{"CONFIG", "GET", "appendonly"}, want: "appendonly\nyes", want3: "appendonly yes"},
	{args: []string{"AUTH", "x"}, want: "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"},
	{args: []string{"MULTI"}, want: "OK"},
	{args: []string{"EXEC"}, want: "ERR EXEC without MULTI"},
	{args: []string{"DISCARD"}, want: "ERR DISCARD without MULTI"},
	{args: []string{"WATCH", "k"}, want: "OK"},
	{args: []string{"UNWATCH"}, want: "OK"},
	{args: []string{"QUIT"}, want: "OK"},
	{args: []string{"NOSUCH"}, want: "ERR unknown command 'NOSUCH', with args beginning with: "},
	{args: []string{"FLUSHDB"}, want: "OK"},
	{args: []string{"DBSIZE"}, want: "0"},
}

func TestRedisCLI(t *testing.T) {
	cli := needRedisTool(t, "redis-cli")
	s := startTempest(t, Config{})
	port := strconv.Itoa(s.Addr().(*net.TCPAddr).Port)
	run := func(input string, args ...string) string {
		t.Helper()
		cmd := exec.Command(cli, append([]string{"-p", port}, args...)...)
		cmd.Stdin = strings.NewReader(input)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("redis-cli %q: %v\n%s", args, err, out)
		}
		return strings.TrimRight(string(out), "\n")
	}
	for _, proto := range []string{"2", "3"} {
		for _, st := range cliSteps {
			flags := []string{}
			if proto == "3" {
				flags = append(flags, "-3")
			}
			want := st.want
			if proto == "3" && st.want3 != "" {
				want = st.want3
			}
			got := run("", append(flags, st.args...)...)
			if st.ttl && ttlWithin(got, want) {
				continue
			}
			if got != strings.TrimRight(want, "\n") {
				t.Errorf("RESP%s redis-cli %q:\n got %q\nwant %q", proto, st.args, got, want)
			}
		}
	}
	// A session on one connection: MULTI/EXEC and CLIENT names, HELLO,
	// COMMAND and INFO, fed on standard input.
	out := run("MULTI\nSET x 1\nINCR x\nEXEC\nCLIENT SETNAME me\nCLIENT GETNAME\nHELLO 3\nCOMMAND COUNT\nCOMMAND INFO get\nINFO keyspace\n", "--no-raw")
	for _, want := range []string{"QUEUED", "1) OK\n2) (integer) 2", "\"me\"", "\"server\" => \"tempest\"", "\"proto\" => (integer) 3", "db0:keys=1,expires=0", "\"get\""} {
		if !strings.Contains(out, want) {
			t.Errorf("redis-cli session: missing %q in:\n%s", want, out)
		}
	}
}

// ttlWithin reports whether got is a TTL at most 5 seconds below want.
func ttlWithin(got, want string) bool {
	g, err1 := strconv.Atoi(got)
	w, err2 := strconv.Atoi(want)
	return err1 == nil && err2 == nil && g <= w && g >= w-5
}
