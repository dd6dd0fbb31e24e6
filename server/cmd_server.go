package server

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"time"
)

// sortedCommands lists the command table by name.
func sortedCommands() []*command {
	out := make([]*command, 0, len(commands))
	for _, c := range commands {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func cmdCommand(x *execCtx, _ [][]byte) {
	list := sortedCommands()
	x.r.array(len(list))
	for _, c := range list {
		commandInfo(x.r, c)
	}
}

func cmdCommandCount(x *execCtx, _ [][]byte) { x.r.int(int64(len(commands))) }

// cmdCommandDocs answers with no documentation: an empty map, which
// clients that probe it (redis-cli at start) accept.
func cmdCommandDocs(x *execCtx, _ [][]byte) { x.r.mapLen(0) }

func cmdCommandInfo(x *execCtx, args [][]byte) {
	x.r.array(len(args) - 2)
	for _, a := range args[2:] {
		c := commands[strings.ToLower(string(a))]
		if c == nil {
			x.r.nullArray()
			continue
		}
		commandInfo(x.r, c)
	}
}

// commandInfo writes one command's COMMAND INFO entry: name, arity,
// flags, key positions, and empty ACL categories, tips, key specs and
// subcommands.
func commandInfo(r *reply, c *command) {
	r.array(10)
	r.bulkString(c.name)
	r.int(int64(c.arity))
	var flags []string
	if c.flags&flagWrite != 0 {
		flags = append(flags, "write")
	} else if c.first > 0 {
		flags = append(flags, "readonly")
	}
	if c.flags&flagNoAuth != 0 {
		flags = append(flags, "no_auth")
	}
	r.setLen(len(flags))
	for _, f := range flags {
		r.simple(f)
	}
	r.int(int64(c.first))
	r.int(int64(c.last))
	r.int(int64(c.step))
	r.setLen(0)
	r.setLen(0)
	r.array(0)
	r.array(0)
}

// configValues are the parameters CONFIG GET answers.
func (s *Server) configValues() [][2]string {
	return [][2]string{
		{"appendfsync", s.cfg.AppendFsync},
		{"appendonly", "yes"},
		{"databases", "1"},
		{"maxclients", itoa(int64(s.cfg.MaxClients))},
		{"save", ""},
	}
}

func cmdConfigGet(x *execCtx, args [][]byte) {
	// As redis-server 7.0: pattern by pattern, each parameter once.
	var out [][2]string
	seen := map[string]bool{}
	for _, p := range args[2:] {
		for _, kv := range x.s.configValues() {
			if !seen[kv[0]] && globMatch([]byte(strings.ToLower(string(p))), []byte(kv[0])) {
				seen[kv[0]] = true
				out = append(out, kv)
			}
		}
	}
	x.r.mapLen(len(out))
	for _, kv := range out {
		x.r.bulkString(kv[0])
		x.r.bulkString(kv[1])
	}
}

// infoSections are INFO's sections in order; "default" and "all" name
// them all.
var infoSections = []string{"server", "clients", "stats", "keyspace", "tempest"}

func cmdInfo(x *execCtx, args [][]byte) {
	want := map[string]bool{}
	for _, a := range args[1:] {
		want[strings.ToLower(string(a))] = true
	}
	all := len(want) == 0 || want["all"] || want["default"] || want["everything"]
	var b strings.Builder
	for _, sec := range infoSections {
		if !all && !want[sec] {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		if err := x.infoSection(&b, sec); err != nil {
			x.fail(err)
			return
		}
	}
	x.r.verbatim(b.String())
}

func (x *execCtx) infoSection(b *strings.Builder, sec string) error {
	s := x.s
	line := func(k string, v any) { fmt.Fprintf(b, "%s:%v\r\n", k, v) }
	switch sec {
	case "server":
		up := time.Since(s.started)
		b.WriteString("# Server\r\n")
		line("redis_version", Version)
		line("redis_mode", "standalone")
		line("tempest_server", "tempest serve")
		line("os", runtime.GOOS+" "+runtime.GOARCH)
		line("arch_bits", 32<<(^uint(0)>>63))
		line("go_version", runtime.Version())
		line("process_id", os.Getpid())
		line("tcp_port", portOf(s.Addr().String()))
		line("uptime_in_seconds", int64(up.Seconds()))
		line("uptime_in_days", int64(up.Hours()/24))
		line("appendfsync", s.cfg.AppendFsync)
	case "clients":
		b.WriteString("# Clients\r\n")
		line("connected_clients", s.clients.Load())
		line("maxclients", s.cfg.MaxClients)
	case "stats":
		b.WriteString("# Stats\r\n")
		line("total_connections_received", s.conns.Load())
		line("total_commands_processed", s.commands.Load())
		line("rejected_connections", s.rejected.Load())
		line("expired_keys", s.expired.Load())
	case "keyspace":
		b.WriteString("# Keyspace\r\n")
		keys, expires, err := x.countKeys()
		if err != nil {
			return err
		}
		if keys > 0 {
			fmt.Fprintf(b, "db0:keys=%d,expires=%d,avg_ttl=0\r\n", keys, expires)
		}
	case "tempest":
		m := s.db.Metrics()
		b.WriteString("# Tempest\r\n")
		for i, l := range m.Levels {
			fmt.Fprintf(b, "level%d:files=%d,bytes=%d,score=%.2f\r\n", i, l.Files, l.Bytes, l.Score)
		}
		line("memtables", m.MemTables.Count)
		line("memtable_bytes", m.MemTables.Bytes)
		line("wal_files", m.WAL.Files)
		line("wal_records", m.WAL.Records)
		line("wal_syncs", m.WAL.Syncs)
		line("wal_bytes", m.WAL.Bytes)
		line("flushes", m.Flushes)
		line("compactions", m.Compactions)
		line("compactions_in_progress", m.CompactionsInProgress)
		line("compaction_debt_bytes", m.CompactionDebt)
		line("write_stalls", m.WriteStalls)
		line("write_amp", fmt.Sprintf("%.2f", m.WriteAmp))
		line("read_amp", m.ReadAmp)
		line("space_amp", fmt.Sprintf("%.2f", m.SpaceAmp))
		line("memory_bytes", m.MemoryBytes)
		line("open_tables", m.OpenTables)
		line("visible_seqnum", m.VisibleSeqNum)
	}
	return nil
}

func portOf(addr string) string {
	if i := strings.LastIndexByte(addr, ':'); i >= 0 {
		return addr[i+1:]
	}
	return addr
}
