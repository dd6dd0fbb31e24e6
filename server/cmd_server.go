package server

import (
	"strings"

	"github.com/tempestdb/tempest/internal/resp"
	"github.com/tempestdb/tempest/server/rediscmd"
)

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
			if !seen[kv[0]] && resp.Glob([]byte(strings.ToLower(string(p))), []byte(kv[0])) {
				seen[kv[0]] = true
				out = append(out, kv)
			}
		}
	}
	x.r.Map(len(out))
	for _, kv := range out {
		x.r.BulkString(kv[0])
		x.r.BulkString(kv[1])
	}
}

// infoSections are INFO's sections in order; "default" and "all" name
// them all.
var infoSections = []string{"server", "clients", "stats", "keyspace", "tempest"}

func cmdInfo(x *execCtx, args [][]byte) {
	if err := rediscmd.Info(&x.c.Session, args, infoSections, x.infoSection); err != nil {
		x.fail(err)
	}
}

func (x *execCtx) infoSection(b *strings.Builder, sec string) error {
	s := x.s
	line := func(k string, v any) { rediscmd.InfoLine(b, k, v) }
	switch sec {
	case "server":
		rediscmd.InfoServer(b, &s.env, s.Addr().String(), s.started)
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
		keys, expires, err := x.tx.CountKeys()
		if err != nil {
			return err
		}
		rediscmd.InfoKeyspace(b, keys, expires)
	case "tempest":
		infoEngine(b, s.db)
	}
	return nil
}
