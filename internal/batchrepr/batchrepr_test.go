package batchrepr

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
)

// encode builds a batch of seq with the given entries (a Delete's value
// is ignored).
func encode(seq uint64, entries ...Entry) []byte {
	b := binary.LittleEndian.AppendUint64(nil, seq)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(entries)))
	for _, e := range entries {
		b = append(b, byte(e.Kind))
		b = binary.AppendUvarint(b, uint64(len(e.Key)))
		b = append(b, e.Key...)
		if e.Kind != base.KindDelete {
			b = binary.AppendUvarint(b, uint64(len(e.Value)))
			b = append(b, e.Value...)
		}
	}
	return b
}

func TestDecode(t *testing.T) {
	want := []Entry{
		{Kind: base.KindSet, Key: []byte("a"), Value: []byte("1")},
		{Kind: base.KindDelete, Key: []byte("b")},
		{Kind: base.KindRangeDelete, Key: []byte("c"), Value: []byte("f")},
	}
	d, err := Decode(encode(42, want...))
	if err != nil {
		t.Fatal(err)
	}
	if d.Seq != 42 || d.Count != 3 {
		t.Fatalf("header: seq %d count %d", d.Seq, d.Count)
	}
	var got []Entry
	if err := d.ForEach(func(e Entry) error { got = append(got, e); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d entries, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Kind != want[i].Kind || string(got[i].Key) != string(want[i].Key) || string(got[i].Value) != string(want[i].Value) {
			t.Fatalf("entry %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestDecodeMalformed(t *testing.T) {
	good := encode(7, Entry{Kind: base.KindSet, Key: []byte("k"), Value: []byte("v")})
	badKind := append([]byte(nil), good...)
	badKind[HeaderLen] = 9
	moreCount := append([]byte(nil), good...)
	binary.LittleEndian.PutUint32(moreCount[8:], 2)
	for name, data := range map[string][]byte{
		"short header":   good[:HeaderLen-1],
		"seqnum too big": encode(1 << 56),
		"truncated":      good[:len(good)-1],
		"trailing bytes": append(append([]byte(nil), good...), 0),
		"bad kind":       badKind,
		"count too high": moreCount,
	} {
		d, err := Decode(data)
		if err == nil {
			err = d.ForEach(func(Entry) error { return nil })
		}
		if !errors.Is(err, base.ErrCorruption) {
			t.Errorf("%s: got %v, want corruption", name, err)
		}
	}
}
