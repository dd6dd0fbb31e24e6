package server

import (
	"strconv"
)

// reply builds RESP replies for one client in the protocol it speaks:
// RESP2 until HELLO 3, RESP3 after. redcon writes only RESP2, so every
// reply is built here and handed to redcon as raw bytes. The encodings
// follow redis-server 7.0's (networking.c): in RESP2 a map is a flat
// array of twice its length, a set an array, a null a null bulk string or
// a null array as the command has it; in RESP3 each is its own type.
type reply struct {
	buf   []byte
	proto int // 2 or 3
}

func (r *reply) simple(s string) {
	r.buf = append(r.buf, '+')
	r.buf = append(r.buf, s...)
	r.buf = append(r.buf, '\r', '\n')
}

func (r *reply) ok() { r.simple("OK") }

// errorf writes an error reply. msg begins with its code ("ERR ...",
// "WRONGPASS ..."); newlines in it become spaces, as redis-server does,
// so that one error stays one line.
func (r *reply) error(msg string) {
	r.buf = append(r.buf, '-')
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		r.buf = append(r.buf, c)
	}
	r.buf = append(r.buf, '\r', '\n')
}

func (r *reply) int(n int64) {
	r.buf = append(r.buf, ':')
	r.buf = strconv.AppendInt(r.buf, n, 10)
	r.buf = append(r.buf, '\r', '\n')
}

func (r *reply) bulk(b []byte) {
	r.buf = append(r.buf, '$')
	r.buf = strconv.AppendInt(r.buf, int64(len(b)), 10)
	r.buf = append(r.buf, '\r', '\n')
	r.buf = append(r.buf, b...)
	r.buf = append(r.buf, '\r', '\n')
}

func (r *reply) bulkString(s string) {
	r.buf = append(r.buf, '$')
	r.buf = strconv.AppendInt(r.buf, int64(len(s)), 10)
	r.buf = append(r.buf, '\r', '\n')
	r.buf = append(r.buf, s...)
	r.buf = append(r.buf, '\r', '\n')
}

// null is the absent value of a bulk-string reply (GET of a missing key).
func (r *reply) null() {
	if r.proto == 3 {
		r.buf = append(r.buf, '_', '\r', '\n')
		return
	}
	r.buf = append(r.buf, "$-1\r\n"...)
}

// nullArray is the absent value of an array reply (an aborted EXEC).
func (r *reply) nullArray() {
	if r.proto == 3 {
		r.buf = append(r.buf, '_', '\r', '\n')
		return
	}
	r.buf = append(r.buf, "*-1\r\n"...)
}

func (r *reply) header(kind byte, n int) {
	r.buf = append(r.buf, kind)
	r.buf = strconv.AppendInt(r.buf, int64(n), 10)
	r.buf = append(r.buf, '\r', '\n')
}

func (r *reply) array(n int) { r.header('*', n) }

// mapLen starts a map of n pairs (RESP2: an array of 2n elements).
func (r *reply) mapLen(n int) {
	if r.proto == 3 {
		r.header('%', n)
		return
	}
	r.header('*', 2*n)
}

// setLen starts a set of n elements (RESP2: an array).
func (r *reply) setLen(n int) {
	if r.proto == 3 {
		r.header('~', n)
		return
	}
	r.header('*', n)
}

// verbatim writes text as RESP3's verbatim string of format "txt" (INFO's
// reply), a bulk string in RESP2.
func (r *reply) verbatim(text string) {
	if r.proto != 3 {
		r.bulkString(text)
		return
	}
	r.header('=', len(text)+4)
	r.buf = append(r.buf, "txt:"...)
	r.buf = append(r.buf, text...)
	r.buf = append(r.buf, '\r', '\n')
}

// replaceWithError replaces the n replies written since mark by n copies
// of the error msg.
func (r *reply) replaceWithError(mark, n int, msg string) {
	r.buf = r.buf[:mark]
	for range n {
		r.error(msg)
	}
}
