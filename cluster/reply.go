package cluster

import "github.com/tempestdb/tempest/internal/resp"

// Reply is the outcome of a routing decision or a CLUSTER subcommand
// (an error, a status, a bulk string or an integer), written into a
// connection's replies by write.
type Reply struct {
	Kind ReplyKind
	Str  []byte // bulk string or status
	Int  int64  // integer
	Err  string // error reply, without the leading '-'
}

// ReplyKind says which field of a Reply holds its value.
type ReplyKind uint8

// The reply kinds.
const (
	KindNull ReplyKind = iota
	KindStatus
	KindBulk
	KindInt
	KindErr
)

func statusReply(s string) Reply { return Reply{Kind: KindStatus, Str: []byte(s)} }
func bulkReply(b []byte) Reply   { return Reply{Kind: KindBulk, Str: b} }
func errReply(s string) Reply    { return Reply{Kind: KindErr, Err: s} }

var okReply = statusReply("OK")

func (r Reply) write(w *resp.Writer) {
	switch r.Kind {
	case KindNull:
		w.Null()
	case KindStatus:
		w.Simple(string(r.Str))
	case KindBulk:
		w.Bulk(r.Str)
	case KindInt:
		w.Int(r.Int)
	case KindErr:
		w.Error(r.Err)
	}
}

// writeRESP2 writes replies the state machine wrote in RESP2 (key
// commands' replies) in w's protocol.
func writeRESP2(w *resp.Writer, raw []byte) {
	if w.Proto != 3 {
		w.Raw(raw)
		return
	}
	b, err := resp.ToRESP3(raw)
	if err != nil {
		w.Error("ERR " + err.Error())
		return
	}
	w.Raw(b)
}
