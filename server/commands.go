package server

// The command table: redis-server 7.0's names, arities and key positions
// for the commands tempest serve implements.
func init() {
	w, na, nq, sn := flagWrite, flagNoAuth, flagNoQueue, flagSnapshot
	list := []*command{
		// Connection.
		{name: "ping", arity: -1, run: cmdPing},
		{name: "echo", arity: 2, run: cmdEcho},
		{name: "hello", arity: -1, flags: na, run: cmdHello},
		{name: "auth", arity: -2, flags: na, run: cmdAuth},
		{name: "select", arity: 2, run: cmdSelect},
		{name: "client", arity: -2, subs: subs("client",
			&command{name: "setname", arity: 3, run: cmdClientSetName},
			&command{name: "getname", arity: 2, run: cmdClientGetName},
			&command{name: "id", arity: 2, run: cmdClientID},
		)},
		// Server.
		{name: "command", arity: -1, run: cmdCommand, subs: subs("command",
			&command{name: "count", arity: 2, run: cmdCommandCount},
			&command{name: "docs", arity: -2, run: cmdCommandDocs},
			&command{name: "info", arity: -2, run: cmdCommandInfo},
		)},
		{name: "info", arity: -1, run: cmdInfo},
		{name: "config", arity: -2, subs: subs("config",
			&command{name: "get", arity: -3, run: cmdConfigGet},
		)},
		{name: "dbsize", arity: 1, run: cmdDBSize},
		{name: "flushdb", arity: -1, flags: w, run: cmdFlushDB},
		// Strings.
		{name: "get", arity: 2, run: cmdGet, first: 1, last: 1, step: 1},
		{name: "set", arity: -3, flags: w, run: cmdSet, first: 1, last: 1, step: 1},
		{name: "getdel", arity: 2, flags: w, run: cmdGetDel, first: 1, last: 1, step: 1},
		{name: "setnx", arity: 3, flags: w, run: cmdSetNX, first: 1, last: 1, step: 1},
		{name: "mget", arity: -2, flags: sn, run: cmdMGet, first: 1, last: -1, step: 1},
		{name: "mset", arity: -3, flags: w, run: cmdMSet, first: 1, last: -1, step: 2},
		{name: "msetnx", arity: -3, flags: w, run: cmdMSetNX, first: 1, last: -1, step: 2},
		{name: "append", arity: 3, flags: w, run: cmdAppend, first: 1, last: 1, step: 1},
		{name: "strlen", arity: 2, run: cmdStrlen, first: 1, last: 1, step: 1},
		{name: "getrange", arity: 4, run: cmdGetRange, first: 1, last: 1, step: 1},
		{name: "incr", arity: 2, flags: w, run: cmdIncr, first: 1, last: 1, step: 1},
		{name: "decr", arity: 2, flags: w, run: cmdDecr, first: 1, last: 1, step: 1},
		{name: "incrby", arity: 3, flags: w, run: cmdIncrBy, first: 1, last: 1, step: 1},
		{name: "decrby", arity: 3, flags: w, run: cmdDecrBy, first: 1, last: 1, step: 1},
		// Keys.
		{name: "del", arity: -2, flags: w, run: cmdDel, first: 1, last: -1, step: 1},
		{name: "unlink", arity: -2, flags: w, run: cmdDel, first: 1, last: -1, step: 1},
		{name: "exists", arity: -2, flags: sn, run: cmdExists, first: 1, last: -1, step: 1},
		{name: "expire", arity: -3, flags: w, run: cmdExpire, first: 1, last: 1, step: 1},
		{name: "pexpire", arity: -3, flags: w, run: cmdPExpire, first: 1, last: 1, step: 1},
		{name: "expireat", arity: -3, flags: w, run: cmdExpireAt, first: 1, last: 1, step: 1},
		{name: "pexpireat", arity: -3, flags: w, run: cmdPExpireAt, first: 1, last: 1, step: 1},
		{name: "ttl", arity: 2, run: cmdTTL, first: 1, last: 1, step: 1},
		{name: "pttl", arity: 2, run: cmdPTTL, first: 1, last: 1, step: 1},
		{name: "persist", arity: 2, flags: w, run: cmdPersist, first: 1, last: 1, step: 1},
		{name: "scan", arity: -2, run: cmdScan},
		{name: "keys", arity: 2, run: cmdKeys},
		// Transactions.
		{name: "multi", arity: 1, flags: nq, run: cmdMulti},
		{name: "exec", arity: 1, flags: nq, run: cmdExec},
		{name: "discard", arity: 1, flags: nq, run: cmdDiscard},
		{name: "watch", arity: -2, flags: nq, run: cmdWatch, first: 1, last: -1, step: 1},
		{name: "unwatch", arity: 1, flags: nq, run: cmdUnwatch},
	}
	commands = make(map[string]*command, len(list))
	for _, c := range list {
		commands[c.name] = c
	}
}

// subs builds a container's subcommand table; each subcommand's name
// becomes "container|sub", as redis-server 7.0 names it in errors.
func subs(container string, list ...*command) map[string]*command {
	m := make(map[string]*command, len(list))
	for _, c := range list {
		m[c.name] = c
		c.name = container + "|" + c.name
	}
	return m
}
