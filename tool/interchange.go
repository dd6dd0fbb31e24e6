package tool

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// The interchange format of dump and load is text, one key/value pair per
// line, keys and values hex-encoded so that any bytes round-trip:
//
//	json (default):  {"k":"6b6579","v":"76616c7565"}
//	hex:             6b6579 76616c7565
//
// Lines end in "\n" ("\r\n" is accepted); empty lines are skipped (a
// line of one space is a pair in hex: an empty key and an empty value). dump
// writes the pairs in key order; load accepts any order (a later line for
// the same key wins). In json, load also accepts any JSON object with
// exactly the string members "k" and "v", in either order, with any
// spacing. An empty key or value is "".
const (
	formatJSON = "json"
	formatHex  = "hex"
)

func checkFormat(format string) error {
	switch format {
	case formatJSON, formatHex:
		return nil
	}
	return usagef("--format %q: want json or hex", format)
}

// appendPair appends the line for key=value in format to dst.
func appendPair(dst []byte, format string, key, value []byte) []byte {
	if format == formatHex {
		dst = hex.AppendEncode(dst, key)
		dst = append(dst, ' ')
		dst = hex.AppendEncode(dst, value)
		return append(dst, '\n')
	}
	dst = append(dst, `{"k":"`...)
	dst = hex.AppendEncode(dst, key)
	dst = append(dst, `","v":"`...)
	dst = hex.AppendEncode(dst, value)
	return append(dst, "\"}\n"...)
}

// pairReader reads pairs in the interchange format.
type pairReader struct {
	r      *bufio.Reader
	format string
	line   int    // number of the line last read
	buf    []byte // the line, for lines longer than the bufio buffer
	key    []byte
	value  []byte
}

func newPairReader(r io.Reader, format string) *pairReader {
	return &pairReader{r: bufio.NewReaderSize(r, 1<<20), format: format}
}

// Next reads the next pair into Key and Value (valid until the next
// call). It returns io.EOF at the end of the input; Line numbers the line
// of the pair or of the error.
func (p *pairReader) Next() error {
	for {
		line, err := p.readLine()
		if err != nil {
			return err
		}
		if len(line) == 0 {
			continue
		}
		return p.parse(line)
	}
}

// readLine returns the next line without its line ending.
func (p *pairReader) readLine() ([]byte, error) {
	p.buf = p.buf[:0]
	for {
		chunk, err := p.r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			p.buf = append(p.buf, chunk...)
			continue
		}
		line := chunk
		if len(p.buf) > 0 {
			p.buf = append(p.buf, chunk...)
			line = p.buf
		}
		if err == io.EOF && len(line) > 0 {
			err = nil // a last line without "\n"
		}
		if err != nil {
			return nil, err
		}
		p.line++
		line = bytes.TrimSuffix(line, []byte("\n"))
		return bytes.TrimSuffix(line, []byte("\r")), nil
	}
}

func (p *pairReader) parse(line []byte) error {
	var k, v []byte
	if p.format == formatHex {
		var ok bool
		k, v, ok = bytes.Cut(line, []byte(" "))
		if !ok {
			return errors.New(`want "<hex key> <hex value>"`)
		}
	} else {
		var err error
		if k, v, err = splitJSONPair(line); err != nil {
			return err
		}
	}
	var err error
	if p.key, err = decodeHex(p.key[:0], k, "key"); err != nil {
		return err
	}
	p.value, err = decodeHex(p.value[:0], v, "value")
	return err
}

// Line returns the number of the line last read, from 1.
func (p *pairReader) Line() int { return p.line }

// Key returns the key read by Next.
func (p *pairReader) Key() []byte { return p.key }

// Value returns the value read by Next.
func (p *pairReader) Value() []byte { return p.value }

func decodeHex(dst, src []byte, what string) ([]byte, error) {
	out, err := hex.AppendDecode(dst, src)
	if err != nil {
		return nil, fmt.Errorf("%s is not hexadecimal: %v", what, err)
	}
	return out, nil
}

var (
	jsonPrefix = []byte(`{"k":"`)
	jsonMiddle = []byte(`","v":"`)
	jsonSuffix = []byte(`"}`)
)

// splitJSONPair returns the "k" and "v" strings of a json line. Lines as
// dump writes them are split in place; anything else goes through
// encoding/json.
func splitJSONPair(line []byte) (k, v []byte, err error) {
	if rest, ok := bytes.CutPrefix(line, jsonPrefix); ok {
		if rest, ok := bytes.CutSuffix(rest, jsonSuffix); ok {
			if k, v, ok := bytes.Cut(rest, jsonMiddle); ok && isHexDigits(k) && isHexDigits(v) {
				return k, v, nil
			}
		}
	}
	var pair struct {
		K *string `json:"k"`
		V *string `json:"v"`
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&pair); err != nil {
		return nil, nil, fmt.Errorf(`want {"k":"<hex>","v":"<hex>"}: %v`, err)
	}
	if dec.More() {
		return nil, nil, errors.New("more than one JSON value on the line")
	}
	if pair.K == nil || pair.V == nil {
		return nil, nil, errors.New(`want both "k" and "v"`)
	}
	return []byte(*pair.K), []byte(*pair.V), nil
}

func isHexDigits(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
