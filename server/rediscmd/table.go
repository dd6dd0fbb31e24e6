package rediscmd

import (
	"strings"

	"github.com/tempestdb/tempest/internal/resp"
)

// Flags say how a command runs.
type Flags uint8

const (
	// Write: the command may modify keys.
	Write Flags = 1 << iota
	// NoAuth: allowed before AUTH.
	NoAuth
	// NoQueue: runs at once inside MULTI instead of being queued.
	NoQueue
	// Snapshot: a read of several keys that must see them at one moment.
	Snapshot
	// Whole: reads or writes the whole keyspace (SCAN, KEYS, DBSIZE,
	// FLUSHDB), not named keys.
	Whole
)

// Command is one entry of a command table.
type Command struct {
	Name  string // lower case; a subcommand's is "container|sub"
	Arity int    // as redis-server's: n exactly, -n at least n
	Flags Flags
	// First, Last and Step locate the key arguments (COMMAND INFO; a
	// negative Last counts from the end).
	First, Last, Step int
	// Key runs a key command over a Txn; nil for the commands a front
	// end runs itself.
	Key func(x *Ctx, args [][]byte)
	// Conn runs a connection command (shared by the front ends); nil for
	// the others.
	Conn func(s *Session, env *Env, args [][]byte)
	Subs map[string]*Command
}

// Ctx is what a key command runs with: the keyspace and the reply.
type Ctx struct {
	Tx *Txn
	W  *resp.Writer
}

// Fail replies with an engine error and discards the txn's writes.
func (x *Ctx) Fail(err error) { x.W.Error(x.Tx.Fail(err)) }

// Keys returns the command's key arguments.
func (c *Command) Keys(args [][]byte) [][]byte {
	if c.First == 0 {
		return nil
	}
	last := c.Last
	if last < 0 {
		last += len(args)
	}
	var out [][]byte
	for i := c.First; i <= last && i < len(args); i += c.Step {
		out = append(out, args[i])
	}
	return out
}

// Table is a command table: the commands by lower-case name.
type Table map[string]*Command

// NewTable returns the shared commands (commands.go) and extra, a front
// end's own.
func NewTable(extra ...*Command) Table {
	t := Table{}
	for _, c := range sharedCommands() {
		t[c.Name] = c
	}
	for _, c := range extra {
		t[c.Name] = c
	}
	return t
}

// Lookup finds the command args name, and its subcommand for a
// container. It writes the error reply redis-server gives for an unknown
// command or subcommand, or a wrong argument count, and returns nil.
func (t Table) Lookup(w *resp.Writer, args [][]byte) *Command {
	name := strings.ToLower(string(args[0]))
	cmd := t[name]
	if cmd == nil {
		w.Error(UnknownCommand(args))
		return nil
	}
	if cmd.Subs != nil && len(args) >= 2 {
		sub := cmd.Subs[strings.ToLower(string(args[1]))]
		if sub == nil {
			w.Error("ERR unknown subcommand '" + clip(args[1], 128) + "'. Try " + strings.ToUpper(string(args[0])) + " HELP.")
			return nil
		}
		cmd = sub
	}
	if (cmd.Arity > 0 && len(args) != cmd.Arity) || len(args) < -cmd.Arity {
		Reject(w, cmd, ArityError(cmd.Name))
		return nil
	}
	return cmd
}

// Reject replies with a refusal of cmd (before it runs). EXEC's refusal
// is EXECABORT with the reason, as redis-server 7.0's rejectCommand
// gives it (and the caller discards the transaction).
func Reject(w *resp.Writer, cmd *Command, msg string) {
	if cmd.Name != "exec" {
		w.Error(msg)
		return
	}
	w.Error("EXECABORT Transaction discarded because of: " + strings.TrimPrefix(msg, "ERR "))
}

// ArityError is redis-server's reply to a wrong number of arguments.
func ArityError(name string) string {
	return "ERR wrong number of arguments for '" + name + "' command"
}

// UnknownCommand is redis-server 7.0's message, which quotes at most
// about 128 bytes of the arguments.
func UnknownCommand(args [][]byte) string {
	var b strings.Builder
	for _, a := range args[1:] {
		if b.Len() >= 128 {
			break
		}
		n := 128 - b.Len()
		b.WriteByte('\'')
		b.WriteString(clip(a, n))
		b.WriteString("' ")
	}
	return "ERR unknown command '" + clip(args[0], 128) + "', with args beginning with: " + b.String()
}

func clip(b []byte, n int) string {
	if len(b) > n {
		b = b[:n]
	}
	return string(b)
}

// CloneArgs copies args, which redcon reuses after the handler returns.
func CloneArgs(args [][]byte) [][]byte {
	out := make([][]byte, len(args))
	for i, a := range args {
		out[i] = append([]byte(nil), a...)
	}
	return out
}
