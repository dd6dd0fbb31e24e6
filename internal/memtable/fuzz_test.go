package memtable

import (
	"errors"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
)

// FuzzMemtable interprets the input as a program of Adds and seeks, runs it
// against a memtable and the model, and compares them. The first byte picks
// the arena size, so arena exhaustion is part of the search space.
func FuzzMemtable(f *testing.F) {
	// Layout: arena byte, then ops of op, key length, key, seq, kind and,
	// for Adds (op%4 < 2), a value length.
	f.Add([]byte{})
	f.Add([]byte{60, // duplicates of one internal key, then seeks onto them
		0, 1, 'a', 5, 1, 3, 0, 1, 'a', 5, 1, 3, 0, 1, 'a', 5, 1, 3,
		2, 1, 'a', 5, 1, 3, 1, 'a', 4, 0})
	f.Add([]byte{40, // versions by suffix and seqnum
		0, 2, 'a', 'b', 1, 1, 9, 1, 2, 'a', 'c', 2, 0, 0, 0, 1, 'a', 7, 1, 1,
		0, 2, 'a', 'b', 3, 0, 4, 2, 1, 'a', 0, 0, 3, 2, 'a', 'c', 9, 1})
	f.Add([]byte{12, // a small arena that fills up
		0, 3, 'x', 'y', 'z', 1, 1, 63, 0, 3, 'x', 'y', 'z', 2, 1, 63,
		0, 0, 0, 0, 63, 0, 1, 'x', 3, 0, 63, 2, 0, 0, 0, 3, 3, 'x', 'y', 'z', 1, 1})
	f.Add([]byte{255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := fuzzReader{data: data}
		cmp := base.FixedSuffixComparer(1)
		m := New(cmp, MinArenaSize+int(r.byte())*32, 1)
		md := &model{cmp: cmp}
		it := m.NewIter()
		defer it.Close()
		for !r.empty() {
			op := r.byte()
			key := base.InternalKey{UserKey: r.bytes(3), Trailer: base.MakeTrailer(base.SeqNum(r.byte()%8), base.Kind(r.byte()%2))}
			switch op % 4 {
			case 0, 1: // Add
				value := make([]byte, int(r.byte())%64)
				for i := range value {
					value[i] = byte(len(md.entries) + i)
				}
				fits := m.Fits(EntrySize(len(key.UserKey), len(value)))
				err := m.Add(key, value)
				if fits != (err == nil) || (err != nil && !errors.Is(err, ErrArenaFull)) {
					t.Fatalf("Fits=%v, Add: %v", fits, err)
				}
				if err == nil {
					md.add(key, value)
				}
			case 2:
				checkAt(t, md, it, it.SeekGE(key), md.seekGE(key), "SeekGE")
			case 3:
				checkAt(t, md, it, it.SeekLT(key), md.seekLT(key), "SeekLT")
			}
		}
		if err := m.checkInvariants(); err != nil {
			t.Fatal(err)
		}
		i := 0
		for ok := it.First(); ok; ok = it.Next() {
			checkAt(t, md, it, true, i, "scan")
			i++
		}
		checkAt(t, md, it, false, i, "scan end")
	})
}

type fuzzReader struct{ data []byte }

func (r *fuzzReader) empty() bool { return len(r.data) == 0 }

func (r *fuzzReader) byte() byte {
	if len(r.data) == 0 {
		return 0
	}
	b := r.data[0]
	r.data = r.data[1:]
	return b
}

// bytes reads a length byte (mod max+1) and that many bytes.
func (r *fuzzReader) bytes(max int) []byte {
	n := min(int(r.byte())%(max+1), len(r.data))
	b := r.data[:n:n]
	r.data = r.data[n:]
	return b
}
