package resp

import (
	"bufio"
	"bytes"
	"testing"

	"github.com/tempestdb/tempest/internal/testutil"
)

func TestReplyParse(t *testing.T) {
	raw := "%2\r\n$1\r\na\r\n*2\r\n:1\r\n_\r\n$1\r\nb\r\n$-1\r\n"
	v, rest, err := Parse([]byte(raw))
	if err != nil || len(rest) != 0 {
		t.Fatal(err, rest)
	}
	if got := string(v.Encode()); got != raw {
		t.Fatalf("round trip: got %q, want %q", got, raw)
	}
	got, err := Read(bufio.NewReader(bytes.NewReader([]byte(raw + "+OK\r\n"))))
	if err != nil || string(got) != raw {
		t.Fatalf("Read: %q, %v", got, err)
	}
	for _, bad := range []string{"", "$5\r\nab\r\n", "*2\r\n:1\r\n", "$x\r\n"} {
		if _, _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("Parse(%q) succeeded", bad)
		}
	}
}

// writeRandom writes a random sequence of the replies key commands give
// (strings, integers, errors, nulls, arrays of them) into w, drawing
// from r; the same draws give the same calls in either protocol.
func writeRandom(w *Writer, r interface{ IntN(int) int }, depth int) {
	switch k := r.IntN(7); {
	case k == 0:
		w.Simple("OK")
	case k == 1:
		w.Error("ERR x\r\ny")
	case k == 2:
		w.Int(int64(r.IntN(1000) - 500))
	case k == 3:
		w.Bulk(bytes.Repeat([]byte("$-1\r\n"), r.IntN(3)))
	case k == 4:
		w.Null()
	case k == 5:
		w.NullArray()
	case depth < 3:
		n := r.IntN(4)
		w.Array(n)
		for range n {
			writeRandom(w, r, depth+1)
		}
	default:
		w.OK()
	}
}

// TestToRESP3: replies written in RESP2 and converted are byte for byte
// what the Writer writes in RESP3, bulk strings that look like nulls
// included.
func TestToRESP3(t *testing.T) {
	seed := testutil.Seed(t)
	for i := range 500 {
		var w2, w3 Writer
		w2.Proto, w3.Proto = 2, 3
		r2, r3 := testutil.NewRand(seed+uint64(i)), testutil.NewRand(seed+uint64(i))
		for range 1 + i%5 {
			writeRandom(&w2, r2, 0)
			writeRandom(&w3, r3, 0)
		}
		got, err := ToRESP3(w2.Buf)
		if err != nil || !bytes.Equal(got, w3.Buf) {
			t.Fatalf("case %d: ToRESP3(%q) = %q, %v; want %q", i, w2.Buf, got, err, w3.Buf)
		}
	}
	if _, err := ToRESP3([]byte("%1\r\n")); err == nil {
		t.Fatal("a map converted")
	}
}

func TestGlob(t *testing.T) {
	for _, c := range []struct {
		pattern, s string
		want       bool
	}{
		{"*", "abc", true}, {"*", "", false}, {"a?c", "abc", true}, {"a?c", "ac", false},
		{"[a-c]x", "bx", true}, {"[^a-c]x", "bx", false}, {"[c-a]x", "bx", true},
		{`a\*`, "a*", true}, {`a\*`, "ab", false}, {"k[", "k", false}, {"*e*", "key", true},
	} {
		if got := Glob([]byte(c.pattern), []byte(c.s)); got != c.want {
			t.Errorf("Glob(%q, %q) = %v, want %v", c.pattern, c.s, got, c.want)
		}
	}
}
