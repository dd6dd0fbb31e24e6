package tool

import (
	"bytes"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
)

// randomPairs returns n random pairs whose keys and values use every byte
// value, including newlines, quotes and invalid UTF-8.
func randomPairs(rng *rand.Rand, n int) (keys, values [][]byte) {
	for range n {
		k := make([]byte, rng.IntN(20))
		v := make([]byte, rng.IntN(60))
		for i := range k {
			k[i] = byte(rng.Uint32())
		}
		for i := range v {
			v[i] = byte(rng.Uint32())
		}
		keys, values = append(keys, k), append(values, v)
	}
	return keys, values
}

func TestInterchangeRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(testSeed(t), 0))
	keys, values := randomPairs(rng, 500)
	for _, format := range []string{formatJSON, formatHex} {
		var buf []byte
		for i := range keys {
			buf = appendPair(buf, format, keys[i], values[i])
		}
		if n := bytes.Count(buf, []byte("\n")); n != len(keys) {
			t.Fatalf("%s: %d lines for %d pairs", format, n, len(keys))
		}
		pr := newPairReader(bytes.NewReader(buf), format)
		for i := range keys {
			if err := pr.Next(); err != nil {
				t.Fatalf("%s: pair %d: %v", format, i, err)
			}
			if !bytes.Equal(pr.Key(), keys[i]) || !bytes.Equal(pr.Value(), values[i]) {
				t.Fatalf("%s: pair %d: got %x=%x, want %x=%x", format, i, pr.Key(), pr.Value(), keys[i], values[i])
			}
		}
		if err := pr.Next(); err != io.EOF {
			t.Fatalf("%s: after the last pair: %v", format, err)
		}
	}
}

func TestInterchangeFormat(t *testing.T) {
	if got := string(appendPair(nil, formatJSON, []byte("k"), []byte{0, 0xff})); got != "{\"k\":\"6b\",\"v\":\"00ff\"}\n" {
		t.Fatalf("json line %q", got)
	}
	if got := string(appendPair(nil, formatHex, nil, []byte("v"))); got != " 76\n" {
		t.Fatalf("hex line %q", got)
	}
}

func TestInterchangeParse(t *testing.T) {
	type pair struct{ k, v string }
	for _, tc := range []struct {
		format, in string
		want       []pair
		err        string // expected error text, at the pair after want
	}{
		{formatJSON, "{\"k\":\"61\",\"v\":\"62\"}\n\n{\"k\":\"\",\"v\":\"\"}", []pair{{"a", "b"}, {"", ""}}, ""},
		{formatJSON, "{ \"v\" : \"62\", \"k\": \"61\" }\r\n", []pair{{"a", "b"}}, ""},
		{formatJSON, "{\"k\":\"6\",\"v\":\"62\"}\n", nil, "key is not hexadecimal"},
		{formatJSON, "{\"k\":\"61\"}\n", nil, `want both "k" and "v"`},
		{formatJSON, "{\"k\":\"61\",\"v\":\"62\",\"x\":1}\n", nil, "unknown field"},
		{formatJSON, "{\"k\":\"61\",\"v\":\"62\"} {}\n", nil, "more than one JSON value"},
		{formatJSON, "61 62\n", nil, `want {"k":"<hex>","v":"<hex>"}`},
		{formatHex, "61 62\n 63\n", []pair{{"a", "b"}, {"", "c"}}, ""},
		{formatHex, "61 62\n6162\n", []pair{{"a", "b"}}, `want "<hex key> <hex value>"`},
		{formatHex, "61 6x\n", nil, "value is not hexadecimal"},
	} {
		pr := newPairReader(strings.NewReader(tc.in), tc.format)
		for i, p := range tc.want {
			if err := pr.Next(); err != nil {
				t.Fatalf("%s %q: pair %d: %v", tc.format, tc.in, i, err)
			}
			if string(pr.Key()) != p.k || string(pr.Value()) != p.v {
				t.Fatalf("%s %q: pair %d: %q=%q", tc.format, tc.in, i, pr.Key(), pr.Value())
			}
		}
		err := pr.Next()
		if tc.err == "" && err != io.EOF || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Fatalf("%s %q: end: %v, want %q", tc.format, tc.in, err, tc.err)
		}
	}
}

func TestInterchangeLongLine(t *testing.T) {
	v := bytes.Repeat([]byte{0xab}, 3<<20) // longer than the reader's buffer
	line := appendPair(nil, formatJSON, []byte("big"), v)
	pr := newPairReader(bytes.NewReader(line), formatJSON)
	if err := pr.Next(); err != nil {
		t.Fatal(err)
	}
	if string(pr.Key()) != "big" || !bytes.Equal(pr.Value(), v) {
		t.Fatalf("long line: key %q, %d value bytes", pr.Key(), len(pr.Value()))
	}
}
