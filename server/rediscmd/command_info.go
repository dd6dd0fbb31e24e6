package rediscmd

import (
	"sort"
	"strings"

	"github.com/tempestdb/tempest/internal/resp"
)

// sorted lists the table by name.
func (t Table) sorted() []*Command {
	out := make([]*Command, 0, len(t))
	for _, c := range t {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func connCommand(s *Session, env *Env, _ [][]byte) {
	list := env.Table.sorted()
	s.Out.Array(len(list))
	for _, c := range list {
		commandInfo(&s.Out, c)
	}
}

func connCommandCount(s *Session, env *Env, _ [][]byte) { s.Out.Int(int64(len(env.Table))) }

// connCommandDocs answers with no documentation: an empty map, which
// clients that probe it (redis-cli at start) accept.
func connCommandDocs(s *Session, _ *Env, _ [][]byte) { s.Out.Map(0) }

func connCommandInfo(s *Session, env *Env, args [][]byte) {
	s.Out.Array(len(args) - 2)
	for _, a := range args[2:] {
		c := env.Table[strings.ToLower(string(a))]
		if c == nil {
			s.Out.NullArray()
			continue
		}
		commandInfo(&s.Out, c)
	}
}

// commandInfo writes one command's COMMAND INFO entry: name, arity,
// flags, key positions, and empty ACL categories, tips, key specs and
// subcommands.
func commandInfo(w *resp.Writer, c *Command) {
	w.Array(10)
	w.BulkString(c.Name)
	w.Int(int64(c.Arity))
	var flags []string
	if c.Flags&Write != 0 {
		flags = append(flags, "write")
	} else if c.First > 0 {
		flags = append(flags, "readonly")
	}
	if c.Flags&NoAuth != 0 {
		flags = append(flags, "no_auth")
	}
	w.Set(len(flags))
	for _, f := range flags {
		w.Simple(f)
	}
	w.Int(int64(c.First))
	w.Int(int64(c.Last))
	w.Int(int64(c.Step))
	w.Set(0)
	w.Set(0)
	w.Array(0)
	w.Array(0)
}
