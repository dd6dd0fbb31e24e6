package wal

import (
	"bytes"
	"testing"
)

// salvaged is what Salvage delivered.
type salvaged struct {
	payloads [][]byte
	offsets  []int64
	res      SalvageResult
}

func salvage(t *testing.T, data []byte) salvaged {
	t.Helper()
	fs := newMemFS(t)
	writeFile(t, fs, walPath(9), data)
	var s salvaged
	var err error
	s.res, err = Salvage(fs, walPath(9), func(p []byte, off int64) error {
		s.payloads = append(s.payloads, bytes.Clone(p))
		s.offsets = append(s.offsets, off)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSalvage damages one random byte range of a cleanly closed log (zero
// fill, random fill or a single flipped byte) and checks that Salvage
// returns exactly the records the range does not touch, and one damage
// range from the first record it touches to the next record it kept.
func TestSalvage(t *testing.T) {
	rng := newRand(t)
	fs := newMemFS(t)
	l := buildLog(t, fs, 9, rng, 40, 200, 0.3, 0)
	size := int64(len(l.data))
	endRecord := l.end(len(l.payloads) - 1) // where the end record starts

	if s := salvage(t, l.data); len(s.payloads) != len(l.payloads) || len(s.res.Damage) != 0 || !s.res.CleanClose {
		t.Fatalf("intact log: %d of %d records, damage %v, clean %v", len(s.payloads), len(l.payloads), s.res.Damage, s.res.CleanClose)
	}
	for iter := 0; iter < 200; iter++ {
		a := HeaderSize + rng.Int64N(size-HeaderSize)
		b := min(size, a+1+rng.Int64N(300))
		data := bytes.Clone(l.data)
		switch rng.IntN(3) {
		case 0:
			clear(data[a:b])
		case 1:
			for i := a; i < b; i++ {
				data[i] = byte(rng.Uint32())
			}
		default:
			b = a + 1
			data[a] ^= 1 << rng.IntN(8)
		}
		// Judge by the bytes that changed: zeros over zeros are no damage.
		for a < b && data[a] == l.data[a] {
			a++
		}
		for b > a && data[b-1] == l.data[b-1] {
			b--
		}
		if a == b {
			continue
		}
		s := salvage(t, data)

		// Records that [a, b) does not touch survive, in order.
		var want []int
		lostFrom, resume := int64(-1), size
		for i := range l.payloads {
			if l.offsets[i] < b && l.end(i) > a {
				if lostFrom < 0 {
					lostFrom = l.offsets[i]
				}
				continue
			}
			if lostFrom >= 0 && resume == size {
				resume = l.offsets[i]
			}
			want = append(want, i)
		}
		endLost := b > endRecord
		if lostFrom < 0 {
			lostFrom = endRecord // only the end record was hit
		}
		if resume == size && !endLost {
			resume = endRecord
		}
		if len(s.payloads) != len(want) {
			t.Fatalf("iter %d, damage [%d, %d): %d records, want %d", iter, a, b, len(s.payloads), len(want))
		}
		for j, i := range want {
			if s.offsets[j] != l.offsets[i] || !bytes.Equal(s.payloads[j], l.payloads[i]) {
				t.Fatalf("iter %d: record %d differs", iter, j)
			}
		}
		if s.res.CleanClose == endLost {
			t.Fatalf("iter %d, damage [%d, %d): clean close %v", iter, a, b, s.res.CleanClose)
		}
		if len(s.res.Damage) != 1 || s.res.Damage[0].Offset != lostFrom || s.res.Damage[0].End != resume || s.res.Damage[0].Tail != (resume == size) {
			t.Fatalf("iter %d, damage [%d, %d): reported %+v, want [%d, %d)", iter, a, b, s.res.Damage, lostFrom, resume)
		}
	}
}

// TestSalvageHeader: a zeroed or short header with nothing after it is an
// empty log, a damaged magic before records is reported and the records
// are read.
func TestSalvageHeader(t *testing.T) {
	rng := newRand(t)
	fs := newMemFS(t)
	l := buildLog(t, fs, 9, rng, 5, 50, 1, 0)

	if s := salvage(t, l.data[:HeaderSize-1]); s.res.HeaderValid || len(s.res.Damage) != 0 || len(s.payloads) != 0 {
		t.Fatalf("short file: %+v", s.res)
	}
	zero := make([]byte, 4096)
	if s := salvage(t, zero); s.res.HeaderValid || len(s.res.Damage) != 0 || len(s.payloads) != 0 {
		t.Fatalf("zeroed file: %+v", s.res)
	}
	data := bytes.Clone(l.data)
	data[0] ^= 0xff
	s := salvage(t, data)
	if s.res.HeaderValid || len(s.payloads) != len(l.payloads) || len(s.res.Damage) != 1 || s.res.Damage[0].End != HeaderSize {
		t.Fatalf("bad magic: %d records, %+v", len(s.payloads), s.res)
	}
}

// TestSalvageZeroTail: a log abandoned without an end record and followed
// by zeros (as a mapped log's preallocated tail) reports one zero tail.
func TestSalvageZeroTail(t *testing.T) {
	rng := newRand(t)
	fs := newMemFS(t)
	l := buildLog(t, fs, 9, rng, 10, 50, 1, -1)
	data := append(bytes.Clone(l.data), make([]byte, 1000)...)
	s := salvage(t, data)
	d := s.res.Damage
	if len(s.payloads) != len(l.payloads) || s.res.CleanClose || len(d) != 1 || !d[0].Tail || !d[0].Zero || d[0].Offset != int64(len(l.data)) {
		t.Fatalf("zero tail: %d records, %+v", len(s.payloads), s.res)
	}
}
