package resp

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
)

// Value is one parsed reply, RESP2 or RESP3.
type Value struct {
	Kind  byte   // '+', '-', ':', '$', '*', '%', '~', '_', '=', ...
	Str   string // the line's text, or a bulk string's bytes
	Null  bool   // $-1 or *-1
	Elems []Value
}

// Read reads one whole reply from r and returns its raw bytes.
func Read(r *bufio.Reader) ([]byte, error) {
	var buf bytes.Buffer
	err := copyReply(r, &buf)
	return buf.Bytes(), err
}

func copyReply(r *bufio.Reader, w *bytes.Buffer) error {
	line, err := r.ReadBytes('\n')
	w.Write(line)
	if err != nil {
		return err
	}
	if len(line) < 3 {
		return fmt.Errorf("resp: short reply line %q", line)
	}
	body := string(line[1 : len(line)-2])
	switch line[0] {
	case '+', '-', ':', '_', ',', '#', '(':
		return nil
	case '$', '=', '!':
		n, err := strconv.Atoi(body)
		if err != nil {
			return err
		}
		if n < 0 {
			return nil
		}
		_, err = io.CopyN(w, r, int64(n)+2)
		return err
	case '*', '~', '>', '%', '|':
		n, err := strconv.Atoi(body)
		if err != nil {
			return err
		}
		if line[0] == '%' || line[0] == '|' {
			n *= 2
		}
		for range max(n, 0) {
			if err := copyReply(r, w); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("resp: unknown reply type %q", line)
}

// Parse parses the raw bytes of one reply; rest is what follows it.
func Parse(raw []byte) (v Value, rest []byte, err error) {
	i := bytes.Index(raw, []byte("\r\n"))
	if i < 1 {
		return Value{}, nil, fmt.Errorf("resp: bad reply %q", raw)
	}
	v = Value{Kind: raw[0], Str: string(raw[1:i])}
	rest = raw[i+2:]
	switch v.Kind {
	case '$', '=':
		n, err := strconv.Atoi(v.Str)
		if err != nil {
			return v, nil, fmt.Errorf("resp: bad length %q", v.Str)
		}
		if n < 0 {
			v.Null, v.Str = true, ""
			return v, rest, nil
		}
		if len(rest) < n+2 {
			return v, nil, fmt.Errorf("resp: bulk string of %d bytes cut short", n)
		}
		v.Str = string(rest[:n])
		return v, rest[n+2:], nil
	case '*', '~', '%':
		n, err := strconv.Atoi(v.Str)
		if err != nil {
			return v, nil, fmt.Errorf("resp: bad length %q", v.Str)
		}
		if n < 0 {
			v.Null, v.Str = true, ""
			return v, rest, nil
		}
		if v.Kind == '%' {
			n *= 2
		}
		for range n {
			var e Value
			if e, rest, err = Parse(rest); err != nil {
				return v, nil, err
			}
			v.Elems = append(v.Elems, e)
		}
	}
	return v, rest, nil
}

// Encode returns v's encoding (an aggregate's length is that of Elems).
func (v Value) Encode() []byte {
	var b bytes.Buffer
	v.encodeTo(&b)
	return b.Bytes()
}

func (v Value) encodeTo(b *bytes.Buffer) {
	switch v.Kind {
	case '$', '=':
		if v.Null {
			b.WriteString(string(v.Kind) + "-1\r\n")
			return
		}
		fmt.Fprintf(b, "%c%d\r\n%s\r\n", v.Kind, len(v.Str), v.Str)
	case '*', '~', '%':
		if v.Null {
			b.WriteString(string(v.Kind) + "-1\r\n")
			return
		}
		n := len(v.Elems)
		if v.Kind == '%' {
			n /= 2
		}
		fmt.Fprintf(b, "%c%d\r\n", v.Kind, n)
		for _, e := range v.Elems {
			e.encodeTo(b)
		}
	default:
		fmt.Fprintf(b, "%c%s\r\n", v.Kind, v.Str)
	}
}

// ToRESP3 converts replies written by a Writer in RESP2 into what it
// writes in RESP3, for the replies of the key commands (strings,
// integers, errors, arrays and nulls; no maps, sets or verbatim
// strings): a null bulk string or null array becomes RESP3's null, and
// every other byte stays. raw may hold several replies.
func ToRESP3(raw []byte) ([]byte, error) {
	out := make([]byte, 0, len(raw))
	for len(raw) > 0 {
		var err error
		if out, raw, err = appendRESP3(out, raw); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func appendRESP3(out, raw []byte) ([]byte, []byte, error) {
	i := bytes.Index(raw, []byte("\r\n"))
	if i < 1 {
		return nil, nil, fmt.Errorf("resp: bad reply %q", raw)
	}
	line, rest := raw[:i+2], raw[i+2:]
	switch raw[0] {
	case '+', '-', ':':
		return append(out, line...), rest, nil
	case '$', '*':
		n, err := strconv.Atoi(string(raw[1:i]))
		if err != nil {
			return nil, nil, fmt.Errorf("resp: bad length %q", raw[1:i])
		}
		if n < 0 {
			return append(out, "_\r\n"...), rest, nil
		}
		out = append(out, line...)
		if raw[0] == '$' {
			if len(rest) < n+2 {
				return nil, nil, fmt.Errorf("resp: bulk string of %d bytes cut short", n)
			}
			return append(out, rest[:n+2]...), rest[n+2:], nil
		}
		for range n {
			if out, rest, err = appendRESP3(out, rest); err != nil {
				return nil, nil, err
			}
		}
		return out, rest, nil
	}
	return nil, nil, fmt.Errorf("resp: reply type %q has no RESP3 conversion", raw[0])
}
