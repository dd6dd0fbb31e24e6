package rediscmd

import (
	"bytes"
	"errors"
	"testing"

	"github.com/tempestdb/tempest"
)

// TestValueRoundTrip: each combination of expiry and version encodes
// to its tag and decodes back; the unversioned forms are byte for byte
// what earlier versions wrote (tag 0: the string; tag 1: expiry, string).
func TestValueRoundTrip(t *testing.T) {
	for _, e := range []Entry{
		{Val: []byte("v")},
		{Val: []byte("v"), Exp: 1234},
		{Val: []byte(""), Ver: 7},
		{Val: []byte("v"), Exp: 1234, Ver: 7},
	} {
		enc := EncodeValue(e)
		wantTag := byte(0)
		if e.Ver != 0 {
			wantTag = 2
		}
		if e.Exp != 0 {
			wantTag++
		}
		if enc[0] != wantTag {
			t.Fatalf("%+v: tag %d, want %d", e, enc[0], wantTag)
		}
		got, err := DecodeValue(enc)
		if err != nil || !bytes.Equal(got.Val, e.Val) || got.Exp != e.Exp || got.Ver != e.Ver {
			t.Fatalf("%+v: decoded %+v, %v", e, got, err)
		}
	}
	if got := EncodeValue(Entry{Val: []byte("ab"), Exp: 1}); !bytes.Equal(got, []byte{1, 0, 0, 0, 0, 0, 0, 0, 1, 'a', 'b'}) {
		t.Fatalf("tag 1 layout: %x", got)
	}
	for _, bad := range [][]byte{nil, {4}, {1, 0, 0}, {2, 0, 0, 0, 0, 0, 0, 0, 0}, {3, 0, 0, 0, 0, 0, 0, 0, 1, 0}, {1, 0, 0, 0, 0, 0, 0, 0, 0}} {
		if _, err := DecodeValue(bad); !errors.Is(err, tempest.ErrCorruption) {
			t.Errorf("DecodeValue(%x) = %v, want ErrCorruption", bad, err)
		}
	}
}
