package rediscmd

// sharedCommands returns redis-server 7.0's names, arities, flags and key
// positions for the commands both front ends implement, and the shared
// implementations: Key for the key commands, Conn for the connection
// commands. The others (Key and Conn nil) each front end runs itself.
func sharedCommands() []*Command {
	w, na, nq, sn, wh := Write, NoAuth, NoQueue, Snapshot, Whole
	key := func(name string, arity int, flags Flags, run func(*Ctx, [][]byte), first, last, step int) *Command {
		return &Command{Name: name, Arity: arity, Flags: flags, Key: run, First: first, Last: last, Step: step}
	}
	return []*Command{
		// Connection.
		{Name: "ping", Arity: -1, Conn: connPing},
		{Name: "echo", Arity: 2, Conn: connEcho},
		{Name: "hello", Arity: -1, Flags: na, Conn: connHello},
		{Name: "auth", Arity: -2, Flags: na, Conn: connAuth},
		{Name: "select", Arity: 2, Conn: connSelect},
		{Name: "client", Arity: -2, Subs: subs("client",
			&Command{Name: "setname", Arity: 3, Conn: connClientSetName},
			&Command{Name: "getname", Arity: 2, Conn: connClientGetName},
			&Command{Name: "id", Arity: 2, Conn: connClientID},
		)},
		// Server.
		{Name: "command", Arity: -1, Conn: connCommand, Subs: subs("command",
			&Command{Name: "count", Arity: 2, Conn: connCommandCount},
			&Command{Name: "docs", Arity: -2, Conn: connCommandDocs},
			&Command{Name: "info", Arity: -2, Conn: connCommandInfo},
		)},
		{Name: "info", Arity: -1},
		{Name: "dbsize", Arity: 1, Flags: wh},
		{Name: "flushdb", Arity: -1, Flags: w | wh},
		// Strings.
		key("get", 2, 0, cmdGet, 1, 1, 1),
		key("set", -3, w, cmdSet, 1, 1, 1),
		key("getdel", 2, w, cmdGetDel, 1, 1, 1),
		key("setnx", 3, w, cmdSetNX, 1, 1, 1),
		key("mget", -2, sn, cmdMGet, 1, -1, 1),
		key("mset", -3, w, cmdMSet, 1, -1, 2),
		key("msetnx", -3, w, cmdMSetNX, 1, -1, 2),
		key("append", 3, w, cmdAppend, 1, 1, 1),
		key("strlen", 2, 0, cmdStrlen, 1, 1, 1),
		key("getrange", 4, 0, cmdGetRange, 1, 1, 1),
		key("incr", 2, w, cmdIncr, 1, 1, 1),
		key("decr", 2, w, cmdDecr, 1, 1, 1),
		key("incrby", 3, w, cmdIncrBy, 1, 1, 1),
		key("decrby", 3, w, cmdDecrBy, 1, 1, 1),
		// Keys.
		key("del", -2, w, cmdDel, 1, -1, 1),
		key("unlink", -2, w, cmdDel, 1, -1, 1),
		key("exists", -2, sn, cmdExists, 1, -1, 1),
		key("expire", -3, w, cmdExpire, 1, 1, 1),
		key("pexpire", -3, w, cmdPExpire, 1, 1, 1),
		key("expireat", -3, w, cmdExpireAt, 1, 1, 1),
		key("pexpireat", -3, w, cmdPExpireAt, 1, 1, 1),
		key("ttl", 2, 0, cmdTTL, 1, 1, 1),
		key("pttl", 2, 0, cmdPTTL, 1, 1, 1),
		key("persist", 2, w, cmdPersist, 1, 1, 1),
		{Name: "scan", Arity: -2, Flags: wh},
		{Name: "keys", Arity: 2, Flags: wh},
		// Transactions.
		{Name: "multi", Arity: 1, Flags: nq},
		{Name: "exec", Arity: 1, Flags: nq},
		{Name: "discard", Arity: 1, Flags: nq},
		{Name: "watch", Arity: -2, Flags: nq, First: 1, Last: -1, Step: 1},
		{Name: "unwatch", Arity: 1, Flags: nq},
	}
}

// subs builds a container's subcommand table; each subcommand's name
// becomes "container|sub", as redis-server 7.0 names it in errors.
func subs(container string, list ...*Command) map[string]*Command {
	m := make(map[string]*Command, len(list))
	for _, c := range list {
		m[c.Name] = c
		c.Name = container + "|" + c.Name
	}
	return m
}
