package record

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/crc"
	"github.com/tempestdb/tempest/internal/testutil"
)

const testStart = 16 // a file header's size

// testLog builds a file the way a writer does: records appended after a
// header, with the synced offset advanced by sync.
type testLog struct {
	seed    Seed
	data    []byte
	synced  int64
	offsets []int64
}

func newTestLog(seed Seed) *testLog {
	return &testLog{seed: seed, data: make([]byte, testStart), synced: testStart}
}

func (l *testLog) add(t Type, payload []byte) {
	l.offsets = append(l.offsets, int64(len(l.data)))
	synced := l.synced
	if t == TypeEnd {
		synced = int64(len(l.data))
	}
	l.data = Append(l.data, l.seed, t, synced, payload)
}

func (l *testLog) sync() { l.synced = int64(len(l.data)) }

func (l *testLog) file(data []byte) File {
	return File{Path: "test.log", Data: data, Start: testStart, Seed: l.seed}
}

// scanAll returns the payloads Scan passes on.
func scanAll(f File) ([][]byte, Result, error) {
	var got [][]byte
	res, err := Scan(f, func(r Record) error {
		got = append(got, bytes.Clone(r.Payload))
		return nil
	})
	return got, res, err
}

// wantCorruption checks that err is corruption of test.log at off.
func wantCorruption(t *testing.T, err error, off int64) {
	t.Helper()
	var ce *base.CorruptionError
	if !errors.Is(err, base.ErrCorruption) || !errors.As(err, &ce) {
		t.Fatalf("got %v, want corruption", err)
	}
	if ce.File != "test.log" || ce.Offset != off {
		t.Fatalf("corruption names %s at %d, want test.log at %d: %v", ce.File, ce.Offset, off, err)
	}
}

func randomPayloads(seed uint64, n int) [][]byte {
	rng := testutil.NewRand(seed)
	out := make([][]byte, n)
	for i := range out {
		out[i] = make([]byte, 1+rng.IntN(300))
		for j := range out[i] {
			out[i][j] = byte(rng.Uint32())
		}
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	payloads := randomPayloads(testutil.Seed(t), 20)
	for _, seed := range []Seed{Unseeded, FileSeed("TESTMAGC", 7)} {
		for _, end := range []bool{false, true} {
			t.Run(fmt.Sprintf("seed=%x/end=%v", uint64(seed), end), func(t *testing.T) {
				l := newTestLog(seed)
				for i, p := range payloads {
					l.add(TypeData, p)
					if i%3 == 0 {
						l.sync()
					}
				}
				if end {
					l.sync()
					l.add(TypeEnd, []byte("next"))
				}
				got, res, err := scanAll(l.file(l.data))
				if err != nil {
					t.Fatal(err)
				}
				want := payloads
				if end {
					want = append(append([][]byte{}, payloads...), []byte("next"))
				}
				if len(got) != len(want) || res.Records != len(want) {
					t.Fatalf("read %d records (result %d), want %d", len(got), res.Records, len(want))
				}
				for i := range want {
					if !bytes.Equal(got[i], want[i]) {
						t.Fatalf("record %d differs", i)
					}
				}
				if res.Torn || res.End != end || res.ValidSize != int64(len(l.data)) {
					t.Fatalf("result %+v, want whole file, end=%v", res, end)
				}
			})
		}
	}
}

func TestSeedSeparatesFiles(t *testing.T) {
	a := newTestLog(FileSeed("TESTMAGC", 1))
	a.add(TypeData, []byte("payload"))
	if _, _, p := Parse(a.data[testStart:], FileSeed("TESTMAGC", 2)); p != Checksum {
		t.Fatalf("a record of file 1 parses in file 2: %v", p)
	}
	if _, _, p := Parse(a.data[testStart:], Unseeded); p != Checksum {
		t.Fatalf("a seeded record parses unseeded: %v", p)
	}
	if FileSeed("TESTMAGC", 0) == Unseeded {
		t.Fatal("file 0's seed is the legacy one")
	}
}

// threeRecords returns a log of three data records; syncs says whether
// the file is synced after the first and the second.
func threeRecords(seed Seed, syncs bool) *testLog {
	l := newTestLog(seed)
	for i := 0; i < 3; i++ {
		l.add(TypeData, bytes.Repeat([]byte{byte('a' + i)}, 40))
		if syncs {
			l.sync()
		}
	}
	return l
}

// TestTornLastRecordEveryOffset cuts the last record at every offset, and
// zeroes it from every offset on: the first two records survive, no error.
func TestTornLastRecordEveryOffset(t *testing.T) {
	l := threeRecords(FileSeed("TESTMAGC", 3), true)
	last := l.offsets[2]
	for cut := last + 1; cut < int64(len(l.data)); cut++ {
		zeroed := bytes.Clone(l.data)
		clear(zeroed[cut:])
		for name, data := range map[string][]byte{"cut": l.data[:cut], "zeroed": zeroed} {
			got, res, err := scanAll(l.file(data))
			if err != nil {
				t.Fatalf("%s at %d: %v", name, cut, err)
			}
			if len(got) != 2 || !res.Torn || res.ValidSize != last {
				t.Fatalf("%s at %d: %d records, result %+v; want 2, torn at %d", name, cut, len(got), res, last)
			}
		}
	}
	// Cut exactly at the boundary: no torn tail, two records.
	got, res, err := scanAll(l.file(l.data[:last]))
	if err != nil || len(got) != 2 || res.Torn {
		t.Fatalf("cut at the boundary: %d records, %+v, %v", len(got), res, err)
	}
}

// TestTruncatedHeader leaves fewer than HeaderSize bytes of the last
// record: a torn tail whose problem is Short.
func TestTruncatedHeader(t *testing.T) {
	l := threeRecords(Unseeded, true)
	last := l.offsets[2]
	for k := int64(1); k < HeaderSize; k++ {
		_, res, err := scanAll(l.file(l.data[:last+k]))
		if err != nil || !res.Torn || res.Problem != Short || res.ValidSize != last {
			t.Fatalf("header cut to %d bytes: %+v, %v", k, res, err)
		}
	}
}

// TestFlippedByteInDurableRecord flips each byte of the middle record: the
// third record vouches that it was durable, so each is corruption at the
// middle record's offset.
func TestFlippedByteInDurableRecord(t *testing.T) {
	for _, seed := range []Seed{Unseeded, FileSeed("TESTMAGC", 9)} {
		l := threeRecords(seed, true)
		mid, next := l.offsets[1], l.offsets[2]
		for i := mid; i < next; i++ {
			data := bytes.Clone(l.data)
			data[i] ^= 0x40
			_, _, err := scanAll(l.file(data))
			wantCorruption(t, err, mid)
		}
	}
}

// TestFlippedByteInUnsyncedRecord: without a sync after the middle record,
// no later record vouches for it, so damage there is a torn tail and the
// first record is kept.
func TestFlippedByteInUnsyncedRecord(t *testing.T) {
	l := newTestLog(Unseeded)
	l.add(TypeData, []byte("first"))
	l.sync()
	l.add(TypeData, []byte("second"))
	l.add(TypeData, []byte("third"))
	for i := l.offsets[1]; i < l.offsets[2]; i++ {
		data := bytes.Clone(l.data)
		data[i] ^= 1
		got, res, err := scanAll(l.file(data))
		if err != nil || len(got) != 1 || !res.Torn || res.ValidSize != l.offsets[1] {
			t.Fatalf("flip at %d: %d records, %+v, %v", i, len(got), res, err)
		}
	}
}

// TestZeroedRange zeroes a range inside the durable middle record
// (corruption) and from the middle record to the end (torn).
func TestZeroedRange(t *testing.T) {
	l := threeRecords(FileSeed("TESTMAGC", 4), true)
	mid := l.offsets[1]
	data := bytes.Clone(l.data)
	clear(data[mid+5 : mid+30])
	_, _, err := scanAll(l.file(data))
	wantCorruption(t, err, mid)

	data = bytes.Clone(l.data)
	clear(data[mid:])
	got, res, err := scanAll(l.file(data))
	if err != nil || len(got) != 1 || !res.Torn || res.Problem != ZeroType {
		t.Fatalf("zeroed tail: %d records, %+v, %v", len(got), res, err)
	}
}

// TestTrustedRules: records with a matching crc that break the framing's
// rules are corruption at that record.
func TestTrustedRules(t *testing.T) {
	seed := FileSeed("TESTMAGC", 5)
	cases := []struct {
		name  string
		build func(l *testLog)
		at    int // index of the offending record (-1: the end of the last)
	}{
		{"unknown type", func(l *testLog) { l.add(Type(7), []byte("x")) }, 1},
		{"synced past own offset", func(l *testLog) {
			l.offsets = append(l.offsets, int64(len(l.data)))
			l.data = Append(l.data, seed, TypeData, int64(len(l.data))+1, []byte("x"))
		}, 1},
		{"synced decreasing", func(l *testLog) {
			l.sync()
			l.add(TypeData, []byte("x"))
			l.offsets = append(l.offsets, int64(len(l.data)))
			l.data = Append(l.data, seed, TypeData, testStart, []byte("y"))
		}, 2},
		{"end not synced", func(l *testLog) {
			l.offsets = append(l.offsets, int64(len(l.data)))
			l.data = Append(l.data, seed, TypeEnd, testStart, nil)
		}, 1},
		{"bytes after end", func(l *testLog) {
			l.add(TypeEnd, nil)
			l.data = append(l.data, 0)
		}, -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := newTestLog(seed)
			l.add(TypeData, []byte("first"))
			c.build(l)
			at := int64(len(l.data)) - 1
			if c.at >= 0 {
				at = l.offsets[c.at]
			}
			_, _, err := scanAll(l.file(l.data))
			wantCorruption(t, err, at)
		})
	}
}

func TestCallbackErrorStops(t *testing.T) {
	l := threeRecords(Unseeded, false)
	stop := errors.New("stop")
	n := 0
	_, err := Scan(l.file(l.data), func(Record) error {
		if n++; n == 2 {
			return stop
		}
		return nil
	})
	if err != stop || n != 2 {
		t.Fatalf("got %v after %d records, want the callback's error after 2", err, n)
	}
}

// TestNextValid skips a damaged record to the next one, and finds none in
// zeros.
func TestNextValid(t *testing.T) {
	l := threeRecords(FileSeed("TESTMAGC", 6), false)
	data := bytes.Clone(l.data)
	data[l.offsets[1]+3] ^= 0xff
	f := l.file(data)
	if p := NextValid(f, l.offsets[1]+1); p != l.offsets[2] {
		t.Fatalf("NextValid = %d, want %d", p, l.offsets[2])
	}
	zeros := File{Path: "z", Data: make([]byte, 4096), Start: testStart}
	if p := NextValid(zeros, testStart); p != 4096 {
		t.Fatalf("NextValid in zeros = %d, want the end", p)
	}
}

// TestFramingsAgree checks that the three ways of framing a record give
// the same bytes, which Parse reads back: Append, AppendHeader (given the
// payload's checksum) followed by the payload, and Finish over a payload
// encoded in place.
func TestFramingsAgree(t *testing.T) {
	seed := FileSeed("TESTMAGC", 7)
	for _, n := range []int{0, 1, 100, 70000} {
		payload := bytes.Repeat([]byte{byte(n), 3, 5}, n)[:n]
		a := Append([]byte("pre"), seed, TypeData, 42, payload)
		h := append(AppendHeader([]byte("pre"), seed, TypeData, 42, n, crc.Checksum(payload)), payload...)
		f := append([]byte("pre"), make([]byte, HeaderSize)...)
		f = append(f, payload...)
		Finish(f[3:], seed, TypeData, 42)
		if !bytes.Equal(a, h) || !bytes.Equal(a, f) {
			t.Fatalf("payload of %d bytes: Append, AppendHeader and Finish disagree", n)
		}
		r, size, p := Parse(a[3:], seed)
		if p != OK || size != int64(HeaderSize+n) || !bytes.Equal(r.Payload, payload) || r.Synced != 42 {
			t.Fatalf("payload of %d bytes: Parse gives %v, %d bytes, synced %d", n, p, size, r.Synced)
		}
	}
}
