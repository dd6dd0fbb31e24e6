package cluster

import "github.com/tidwall/redcon"

// Reply is a command's outcome, as the FSM returns it from Apply and the
// server writes it (RESP2).
type Reply struct {
	Kind  ReplyKind
	Str   []byte   // bulk string or status
	Int   int64    // integer
	Array [][]byte // array of bulk strings (nil element: null)
	Err   string   // error reply, without the leading '-'
}

// ReplyKind says which field of a Reply holds its value.
type ReplyKind uint8

// The reply kinds.
const (
	KindNull ReplyKind = iota
	KindStatus
	KindBulk
	KindInt
	KindArray
	KindErr
	kindRaw // Str is already RESP
)

func statusReply(s string) Reply { return Reply{Kind: KindStatus, Str: []byte(s)} }
func bulkReply(b []byte) Reply   { return Reply{Kind: KindBulk, Str: b} }
func intReply(n int64) Reply     { return Reply{Kind: KindInt, Int: n} }
func errReply(s string) Reply    { return Reply{Kind: KindErr, Err: s} }

var okReply = statusReply("OK")

func (r Reply) write(c redcon.Conn) {
	switch r.Kind {
	case KindNull:
		c.WriteNull()
	case KindStatus:
		c.WriteString(string(r.Str))
	case KindBulk:
		c.WriteBulk(r.Str)
	case KindInt:
		c.WriteInt64(r.Int)
	case KindArray:
		c.WriteArray(len(r.Array))
		for _, b := range r.Array {
			if b == nil {
				c.WriteNull()
			} else {
				c.WriteBulk(b)
			}
		}
	case KindErr:
		c.WriteError(r.Err)
	case kindRaw:
		c.WriteRaw(r.Str)
	}
}
