package server

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"testing"
	"time"
)

// respVal is a parsed RESP2/RESP3 reply, for normalizing replies before
// comparing them.
type respVal struct {
	kind  byte // '+', '-', ':', '$', '*', '%', '~', '_', '=', ...
	str   string
	null  bool // $-1 or *-1
	elems []respVal
}

// readReply reads one whole reply and returns its raw bytes.
func readReply(r *bufio.Reader) ([]byte, error) {
	var buf bytes.Buffer
	if err := copyReply(r, &buf); err != nil {
		return buf.Bytes(), err
	}
	return buf.Bytes(), nil
}

func copyReply(r *bufio.Reader, w *bytes.Buffer) error {
	line, err := r.ReadBytes('\n')
	w.Write(line)
	if err != nil {
		return err
	}
	if len(line) < 3 {
		return fmt.Errorf("short reply line %q", line)
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
	return fmt.Errorf("unknown reply type %q", line)
}

// parseReply parses raw bytes of one reply.
func parseReply(raw []byte) (respVal, error) {
	v, _, err := parseAt(raw)
	return v, err
}

func parseAt(raw []byte) (respVal, []byte, error) {
	i := bytes.Index(raw, []byte("\r\n"))
	if i < 1 {
		return respVal{}, nil, fmt.Errorf("bad reply %q", raw)
	}
	v := respVal{kind: raw[0], str: string(raw[1:i])}
	rest := raw[i+2:]
	switch v.kind {
	case '$', '=':
		n, _ := strconv.Atoi(v.str)
		if n < 0 {
			v.null = true
			return v, rest, nil
		}
		v.str = string(rest[:n])
		return v, rest[n+2:], nil
	case '*', '~', '%':
		n, _ := strconv.Atoi(v.str)
		if n < 0 {
			v.null = true
			return v, rest, nil
		}
		if v.kind == '%' {
			n *= 2
		}
		for range n {
			var e respVal
			var err error
			e, rest, err = parseAt(rest)
			if err != nil {
				return v, nil, err
			}
			v.elems = append(v.elems, e)
		}
	}
	return v, rest, nil
}

func (v respVal) encode() []byte {
	var b bytes.Buffer
	v.encodeTo(&b)
	return b.Bytes()
}

func (v respVal) encodeTo(b *bytes.Buffer) {
	switch v.kind {
	case '$', '=':
		if v.null {
			b.WriteString(string(v.kind) + "-1\r\n")
			return
		}
		fmt.Fprintf(b, "%c%d\r\n%s\r\n", v.kind, len(v.str), v.str)
	case '*', '~', '%':
		if v.null {
			b.WriteString(string(v.kind) + "-1\r\n")
			return
		}
		n := len(v.elems)
		if v.kind == '%' {
			n /= 2
		}
		fmt.Fprintf(b, "%c%d\r\n", v.kind, n)
		for _, e := range v.elems {
			e.encodeTo(b)
		}
	default:
		fmt.Fprintf(b, "%c%s\r\n", v.kind, v.str)
	}
}

// sortElems sorts an aggregate's elements by their encoding.
func (v *respVal) sortElems() {
	sort.Slice(v.elems, func(i, j int) bool { return bytes.Compare(v.elems[i].encode(), v.elems[j].encode()) < 0 })
}

// rawClient speaks RESP over one TCP connection.
type rawClient struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader
}

func dialRaw(t testing.TB, addr string) *rawClient {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	return &rawClient{t: t, conn: conn, r: bufio.NewReader(conn)}
}

func encodeCommand(args ...string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b.Bytes()
}

// do sends one command and returns its raw reply.
func (c *rawClient) do(args ...string) []byte {
	c.t.Helper()
	c.conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.conn.Write(encodeCommand(args...)); err != nil {
		c.t.Fatalf("%q: write: %v", args, err)
	}
	raw, err := readReply(c.r)
	if err != nil {
		c.t.Fatalf("%q: read reply: %v (got %q)", args, err, raw)
	}
	return raw
}

func TestReplyParse(t *testing.T) {
	raw := "%2\r\n$1\r\na\r\n*2\r\n:1\r\n_\r\n$1\r\nb\r\n$-1\r\n"
	v, err := parseReply([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(v.encode()); got != raw {
		t.Fatalf("round trip: got %q, want %q", got, raw)
	}
	var b bytes.Buffer
	if err := copyReply(bufio.NewReader(bytes.NewReader([]byte(raw+"+OK\r\n"))), &b); err != nil || b.String() != raw {
		t.Fatalf("copyReply: %q, %v", b.String(), err)
	}
}
