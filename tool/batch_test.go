package tool

import (
	"strings"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
)

func TestDecodeBatch(t *testing.T) {
	good := encodeBatch(42, batchEntry{Kind: base.KindSet, Key: []byte("a"), Value: []byte("b")},
		batchEntry{Kind: base.KindDelete, Key: []byte("c")})
	b, err := decodeBatch(good)
	if err != nil {
		t.Fatal(err)
	}
	if b.Seq != 42 || b.Count != 2 || len(b.Entries) != 2 ||
		string(b.Entries[0].Key) != "a" || string(b.Entries[0].Value) != "b" ||
		b.Entries[1].Kind != base.KindDelete || string(b.Entries[1].Key) != "c" {
		t.Fatalf("decoded %+v", b)
	}
	for _, tc := range []struct {
		name string
		p    []byte
		err  string
	}{
		{"short header", good[:5], "shorter than its 12-byte header"},
		{"count mismatch", append(append([]byte{}, good[:8]...), append([]byte{3, 0, 0, 0}, good[12:]...)...), "header counts 3 entries, payload holds 2"},
		{"unknown kind", append(append([]byte{}, good...), 9), "unknown kind 9"},
		{"truncated key", good[:len(good)-1], "overruns"},
		{"bad varint", append(append([]byte{}, good...), 0, 0xff), "bad length varint"},
	} {
		if _, err := decodeBatch(tc.p); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.err)
		}
	}
	// Every prefix of a valid batch decodes or fails without panicking.
	for i := range good {
		decodeBatch(good[:i])
	}
}

// TestDecodeBatchRangeDelete: a range deletion's end key is read in the
// value's place, as the engine writes it.
func TestDecodeBatchRangeDelete(t *testing.T) {
	p := encodeBatch(7, batchEntry{Kind: base.KindRangeDelete, Key: []byte("a"), Value: []byte("m")},
		batchEntry{Kind: base.KindSet, Key: []byte("z"), Value: []byte("1")})
	b, err := decodeBatch(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Entries) != 2 || b.Entries[0].Kind != base.KindRangeDelete ||
		string(b.Entries[0].Key) != "a" || string(b.Entries[0].Value) != "m" || string(b.Entries[1].Key) != "z" {
		t.Fatalf("decoded %+v", b)
	}
}
