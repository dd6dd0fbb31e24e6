package rediscmd

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

// Info writes INFO's reply: the sections args name (all of them for
// none, "all", "default" or "everything"), in the order of sections,
// each written by section, separated by an empty line, as a verbatim
// string (RESP3) or a bulk string.
func Info(s *Session, args [][]byte, sections []string, section func(b *strings.Builder, name string) error) error {
	want := map[string]bool{}
	for _, a := range args[1:] {
		want[strings.ToLower(string(a))] = true
	}
	all := len(want) == 0 || want["all"] || want["default"] || want["everything"]
	var b strings.Builder
	for _, sec := range sections {
		if !all && !want[sec] {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		if err := section(&b, sec); err != nil {
			return err
		}
	}
	s.Out.Verbatim(b.String())
	return nil
}

// InfoLine writes one "field:value" line of INFO.
func InfoLine(b *strings.Builder, k string, v any) { fmt.Fprintf(b, "%s:%v\r\n", k, v) }

// InfoServer writes the lines of INFO's server section that both front
// ends share.
func InfoServer(b *strings.Builder, env *Env, addr string, started time.Time) {
	mode := "standalone"
	if env.Cluster {
		mode = "cluster"
	}
	up := time.Since(started)
	b.WriteString("# Server\r\n")
	InfoLine(b, "redis_version", Version)
	InfoLine(b, "redis_mode", mode)
	InfoLine(b, "tempest_server", "tempest serve")
	InfoLine(b, "os", runtime.GOOS+" "+runtime.GOARCH)
	InfoLine(b, "arch_bits", 32<<(^uint(0)>>63))
	InfoLine(b, "go_version", runtime.Version())
	InfoLine(b, "process_id", os.Getpid())
	InfoLine(b, "tcp_port", portOf(addr))
	InfoLine(b, "uptime_in_seconds", int64(up.Seconds()))
	InfoLine(b, "uptime_in_days", int64(up.Hours()/24))
}

// InfoKeyspace writes INFO's keyspace section for db0.
func InfoKeyspace(b *strings.Builder, keys, expires int64) {
	b.WriteString("# Keyspace\r\n")
	if keys > 0 {
		fmt.Fprintf(b, "db0:keys=%d,expires=%d,avg_ttl=0\r\n", keys, expires)
	}
}

func portOf(addr string) string {
	if i := strings.LastIndexByte(addr, ':'); i >= 0 {
		return addr[i+1:]
	}
	return addr
}
