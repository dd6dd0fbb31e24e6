package rediscmd

import (
	"fmt"
	"io"
	"strconv"
	"sync/atomic"

	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/internal/resp"
)

// Limits bound what the clients of a RESP front end may take: each
// limit refuses only the offending connection, command or argument,
// with redis-server's reply where it has one, and closes nothing else.
// tempest serve and tempest serve --cluster both apply them.
type Limits struct {
	MaxClients  int // connections at once
	MaxPipeline int // commands read in one go from a connection
	MaxArgBytes int // bytes in one argument
}

// The defaults of a zero limit: redis-server's maxclients and
// proto-max-bulk-len, and a pipeline bound of 100,000 commands.
const (
	DefaultMaxClients  = 10000
	DefaultMaxPipeline = 100000
	DefaultMaxArgBytes = 512 << 20
)

// maxClientsReply is redis-server's line to a connection over maxclients.
const maxClientsReply = "-ERR max number of clients reached\r\n"

// WithDefaults returns l with each zero limit set to its default; a
// negative limit is ErrInvalidArgument.
func (l Limits) WithDefaults() (Limits, error) {
	if l.MaxClients < 0 || l.MaxPipeline < 0 || l.MaxArgBytes < 0 {
		return l, fmt.Errorf("%w: negative limit", tempest.ErrInvalidArgument)
	}
	if l.MaxClients == 0 {
		l.MaxClients = DefaultMaxClients
	}
	if l.MaxPipeline == 0 {
		l.MaxPipeline = DefaultMaxPipeline
	}
	if l.MaxArgBytes == 0 {
		l.MaxArgBytes = DefaultMaxArgBytes
	}
	return l, nil
}

// Admit counts a new connection in clients (the connections open) and
// reports true, unless MaxClients are open already: then the
// connection, whose socket is conn, gets redis-server's refusal and
// false, and the caller closes it.
func (l Limits) Admit(clients *atomic.Int64, conn io.Writer) bool {
	if clients.Add(1) <= int64(l.MaxClients) {
		return true
	}
	clients.Add(-1)
	conn.Write([]byte(maxClientsReply)) // best effort: the connection closes next
	return false
}

// Piped reports whether the nth command read in one go from a
// connection (counting from 1) is within MaxPipeline; if not, it
// appends the command's refusal to w, and the command must not run.
func (l Limits) Piped(w *resp.Writer, nth int) bool {
	if nth <= l.MaxPipeline {
		return true
	}
	w.Error("ERR too many pipelined commands: the limit is " + strconv.Itoa(l.MaxPipeline))
	return false
}

// ArgsFit reports whether every argument of a command is within
// MaxArgBytes; if not, it appends the command's refusal to w, and the
// command must not run.
func (l Limits) ArgsFit(w *resp.Writer, args [][]byte) bool {
	for _, a := range args {
		if len(a) > l.MaxArgBytes {
			w.Error("ERR argument of " + strconv.Itoa(len(a)) + " bytes exceeds the limit of " + strconv.Itoa(l.MaxArgBytes))
			return false
		}
	}
	return true
}
