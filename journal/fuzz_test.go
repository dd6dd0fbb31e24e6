package journal

import (
	"bytes"
	"errors"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
)

// FuzzJournalEdit decodes arbitrary bytes as edit frames, alone and as the
// body of a journal file. Nothing may panic, a decoded frame must
// re-encode to the same bytes, and replay must classify every file as
// clean, torn, or corrupt consistently with the scan.
func FuzzJournalEdit(f *testing.F) {
	enc := counterCodec{}
	one := appendFrame(nil, enc.Encode(nil, add(1)))
	two := appendFrame(bytes.Clone(one), enc.Encode(nil, set(42)))
	f.Add([]byte{})
	f.Add(one)
	f.Add(two)
	f.Add(two[:len(two)-1])
	f.Add(append(bytes.Clone(two), make([]byte, 30)...))
	f.Add(make([]byte, 12))
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 0xff, 0xff, 0xff, 0xff, 1})
	corrupt := bytes.Clone(two)
	corrupt[FrameHeaderSize] ^= 1
	f.Add(corrupt)
	f.Add(appendFrame(bytes.Clone(one), []byte("not a counter edit")))

	f.Fuzz(func(t *testing.T, b []byte) {
		if body, n, p := decodeFrame(b); p == frameOK {
			if n > len(b) || !bytes.Equal(appendFrame(nil, body), b[:n]) {
				t.Fatalf("frame does not re-encode")
			}
		}
		h := encodeHeader(Header{FileNum: 0})
		data := append(h[:], b...)
		var edits []counterEdit
		res, err := replayEdits("f", data, enc, func(e counterEdit) error {
			edits = append(edits, e)
			return nil
		})
		if err != nil {
			if !errors.Is(err, base.ErrCorruption) {
				t.Fatalf("error %v is not corruption", err)
			}
			return
		}
		// The accepted prefix re-encodes to the same bytes.
		var re []byte
		re = append(re, h[:]...)
		for _, e := range edits {
			re = appendFrame(re, enc.Encode(nil, e))
		}
		if !bytes.Equal(re, data[:res.end]) || res.edits != len(edits) {
			t.Fatalf("replayed prefix does not re-encode")
		}
		if res.torn {
			if _, ok := findValidFrame(data, int(res.end)+1, enc); ok {
				t.Fatalf("torn tail at %d, yet a valid frame follows", res.end)
			}
		} else if res.end != int64(len(data)) {
			t.Fatalf("clean replay ended at %d of %d", res.end, len(data))
		}
	})
}
