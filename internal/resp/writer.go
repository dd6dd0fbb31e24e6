package resp

import "strconv"

// Writer builds replies for one client in the protocol it speaks: RESP2
// until HELLO 3, RESP3 after. The encodings follow redis-server 7.0's
// (networking.c): in RESP2 a map is a flat array of twice its length, a
// set an array, a null a null bulk string or a null array as the command
// has it; in RESP3 each is its own type.
type Writer struct {
	Buf   []byte
	Proto int // 2 or 3
}

// Simple writes a simple string (+OK).
func (w *Writer) Simple(s string) {
	w.Buf = append(w.Buf, '+')
	w.Buf = append(w.Buf, s...)
	w.Buf = append(w.Buf, '\r', '\n')
}

// OK writes +OK.
func (w *Writer) OK() { w.Simple("OK") }

// Error writes an error reply. msg begins with its code ("ERR ...",
// "WRONGPASS ..."); newlines in it become spaces, as redis-server does,
// so that one error stays one line.
func (w *Writer) Error(msg string) {
	w.Buf = append(w.Buf, '-')
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		w.Buf = append(w.Buf, c)
	}
	w.Buf = append(w.Buf, '\r', '\n')
}

// Int writes an integer reply.
func (w *Writer) Int(n int64) {
	w.Buf = append(w.Buf, ':')
	w.Buf = strconv.AppendInt(w.Buf, n, 10)
	w.Buf = append(w.Buf, '\r', '\n')
}

// Bulk writes a bulk string.
func (w *Writer) Bulk(b []byte) {
	w.Buf = append(w.Buf, '$')
	w.Buf = strconv.AppendInt(w.Buf, int64(len(b)), 10)
	w.Buf = append(w.Buf, '\r', '\n')
	w.Buf = append(w.Buf, b...)
	w.Buf = append(w.Buf, '\r', '\n')
}

// BulkString writes a bulk string.
func (w *Writer) BulkString(s string) {
	w.Buf = append(w.Buf, '$')
	w.Buf = strconv.AppendInt(w.Buf, int64(len(s)), 10)
	w.Buf = append(w.Buf, '\r', '\n')
	w.Buf = append(w.Buf, s...)
	w.Buf = append(w.Buf, '\r', '\n')
}

// Null is the absent value of a bulk-string reply (GET of a missing key).
func (w *Writer) Null() {
	if w.Proto == 3 {
		w.Buf = append(w.Buf, '_', '\r', '\n')
		return
	}
	w.Buf = append(w.Buf, "$-1\r\n"...)
}

// NullArray is the absent value of an array reply (an aborted EXEC).
func (w *Writer) NullArray() {
	if w.Proto == 3 {
		w.Buf = append(w.Buf, '_', '\r', '\n')
		return
	}
	w.Buf = append(w.Buf, "*-1\r\n"...)
}

func (w *Writer) header(kind byte, n int) {
	w.Buf = append(w.Buf, kind)
	w.Buf = strconv.AppendInt(w.Buf, int64(n), 10)
	w.Buf = append(w.Buf, '\r', '\n')
}

// Array starts an array of n elements.
func (w *Writer) Array(n int) { w.header('*', n) }

// Map starts a map of n pairs (RESP2: an array of 2n elements).
func (w *Writer) Map(n int) {
	if w.Proto == 3 {
		w.header('%', n)
		return
	}
	w.header('*', 2*n)
}

// Set starts a set of n elements (RESP2: an array).
func (w *Writer) Set(n int) {
	if w.Proto == 3 {
		w.header('~', n)
		return
	}
	w.header('*', n)
}

// Verbatim writes text as RESP3's verbatim string of format "txt" (INFO's
// reply), a bulk string in RESP2.
func (w *Writer) Verbatim(text string) {
	if w.Proto != 3 {
		w.BulkString(text)
		return
	}
	w.header('=', len(text)+4)
	w.Buf = append(w.Buf, "txt:"...)
	w.Buf = append(w.Buf, text...)
	w.Buf = append(w.Buf, '\r', '\n')
}

// Raw appends replies already encoded in the writer's protocol.
func (w *Writer) Raw(b []byte) { w.Buf = append(w.Buf, b...) }

// ReplaceWithError replaces the n replies written since mark by n copies
// of the error msg.
func (w *Writer) ReplaceWithError(mark, n int, msg string) {
	w.Buf = w.Buf[:mark]
	for range n {
		w.Error(msg)
	}
}

// AppendCommand appends a command's encoding (an array of bulk strings)
// to b, as a client sends it.
func AppendCommand(b []byte, args ...string) []byte {
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(args)), 10)
	b = append(b, '\r', '\n')
	for _, a := range args {
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(a)), 10)
		b = append(b, '\r', '\n')
		b = append(b, a...)
		b = append(b, '\r', '\n')
	}
	return b
}
