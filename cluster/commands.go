package cluster

import (
	"strconv"
	"time"
)

// command is one entry of the command table: redis-server 7.0's name,
// arity and key positions, and how it runs here.
type command struct {
	name              string
	arity             int // as Redis: negative means at least -arity
	first, last, step int // key positions (0: no keys)
	write             bool
	read              func(v *view, argv [][]byte) (Reply, error) // for reads
}

var commandTable = map[string]*command{}

func init() {
	w := func(name string, arity, first, last, step int) {
		commandTable[name] = &command{name: name, arity: arity, first: first, last: last, step: step, write: true}
	}
	r := func(name string, arity, first, last int, run func(*view, [][]byte) (Reply, error)) {
		commandTable[name] = &command{name: name, arity: arity, first: first, last: last, step: 1, read: run}
	}
	w("set", -3, 1, 1, 1)
	w("setnx", 3, 1, 1, 1)
	w("getdel", 2, 1, 1, 1)
	w("del", -2, 1, -1, 1)
	w("unlink", -2, 1, -1, 1)
	w("incr", 2, 1, 1, 1)
	w("decr", 2, 1, 1, 1)
	w("incrby", 3, 1, 1, 1)
	w("decrby", 3, 1, 1, 1)
	w("mset", -3, 1, -1, 2)
	w("append", 3, 1, 1, 1)
	w("expire", -3, 1, 1, 1)
	w("pexpire", -3, 1, 1, 1)
	w("persist", 2, 1, 1, 1)
	r("get", 2, 1, 1, readGet)
	r("mget", -2, 1, -1, readMGet)
	r("exists", -2, 1, -1, readExists)
	r("strlen", 2, 1, 1, readStrlen)
	r("ttl", 2, 1, 1, readTTL)
	r("pttl", 2, 1, 1, readTTL)
	// Commands without keys, run by the server itself.
	for _, name := range []string{"ping", "echo", "quit", "select", "cluster", "command", "readonly", "readwrite", "asking"} {
		commandTable[name] = &command{name: name, arity: -1}
	}
}

// keys returns the command's key arguments.
func (c *command) keys(argv [][]byte) [][]byte {
	if c.first == 0 {
		return nil
	}
	last := c.last
	if last < 0 {
		last += len(argv)
	}
	var out [][]byte
	for i := c.first; i <= last && i < len(argv); i += c.step {
		out = append(out, argv[i])
	}
	return out
}

func readGet(v *view, a [][]byte) (Reply, error) {
	val, _, ok, err := v.get(a[1])
	if err != nil || !ok {
		return Reply{Kind: KindNull}, err
	}
	return bulkReply(val), nil
}

func readMGet(v *view, a [][]byte) (Reply, error) {
	out := Reply{Kind: KindArray, Array: make([][]byte, len(a)-1)}
	for i, k := range a[1:] {
		val, _, ok, err := v.get(k)
		if err != nil {
			return Reply{}, err
		}
		if ok {
			out.Array[i] = append([]byte{}, val...)
		}
	}
	return out, nil
}

func readExists(v *view, a [][]byte) (Reply, error) {
	var n int64
	for _, k := range a[1:] {
		_, _, ok, err := v.get(k)
		if err != nil {
			return Reply{}, err
		}
		if ok {
			n++
		}
	}
	return intReply(n), nil
}

func readStrlen(v *view, a [][]byte) (Reply, error) {
	val, _, _, err := v.get(a[1])
	return intReply(int64(len(val))), err
}

// readTTL is TTL (seconds, rounded as redis-server 7.0) and PTTL.
func readTTL(v *view, a [][]byte) (Reply, error) {
	_, exp, ok, err := v.get(a[1])
	switch {
	case err != nil:
		return Reply{}, err
	case !ok:
		return intReply(-2), nil
	case exp == 0:
		return intReply(-1), nil
	}
	ms := exp - v.now
	if len(a[0]) == 3 { // ttl
		return intReply((ms + 500) / 1000), nil
	}
	return intReply(ms), nil
}

// commandInfo is the reply of COMMAND: for each command, the six fields
// of redis-server 5 (name, arity, flags, first key, last key, step),
// which cluster clients read to find a command's key.
func commandInfo() Reply {
	var parts [][]byte
	for _, c := range commandTable {
		flag := "readonly"
		if c.write {
			flag = "write"
		}
		parts = append(parts, []byte("*6\r\n$"+strconv.Itoa(len(c.name))+"\r\n"+c.name+"\r\n:"+strconv.Itoa(c.arity)+
			"\r\n*1\r\n+"+flag+"\r\n:"+strconv.Itoa(c.first)+"\r\n:"+strconv.Itoa(c.last)+"\r\n:"+strconv.Itoa(c.step)+"\r\n"))
	}
	raw := []byte("*" + strconv.Itoa(len(parts)) + "\r\n")
	for _, p := range parts {
		raw = append(raw, p...)
	}
	return Reply{Kind: kindRaw, Str: raw}
}

// nowMillis is the node's clock for reads and for stamping entries.
func nowMillis() int64 { return time.Now().UnixMilli() }
