package wal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/record"
)

// fuzzSeeds returns WAL bodies (the bytes after the header) to start the
// fuzzers from: valid logs, logs with damage, and edge cases.
func fuzzSeeds() [][]byte {
	rng := rand.New(rand.NewPCG(1, 2))
	var valid []byte
	off := int64(HeaderSize)
	synced := off
	for i := 0; i < 5; i++ {
		p := randPayload(rng, 50)
		valid = appendRecord(valid, RecordData, synced, p)
		off = HeaderSize + int64(len(valid))
		if i%2 == 1 {
			synced = off
		}
	}
	closed := appendRecord(bytes.Clone(valid), RecordEnd, off, binary.LittleEndian.AppendUint64(nil, 9))
	flipped := bytes.Clone(closed)
	flipped[30] ^= 0x40
	return [][]byte{
		nil,
		valid,
		closed,
		flipped,
		closed[:len(closed)-3],
		append(bytes.Clone(valid), make([]byte, 100)...),
		appendRecord(nil, RecordData, HeaderSize, nil),
		appendRecord(nil, RecordData, 1<<40, nil),
		{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1},
	}
}

// checkDecode runs the decoder over data and checks what it may return: on
// success, the records it returned re-encode to exactly the bytes before
// ValidSize, so nothing was invented or skipped.
func checkDecode(t *testing.T, data []byte) {
	var recs []Record
	h, res, err := decode("fuzz.log", data, 7, true, func(r Record) error {
		recs = append(recs, r)
		return nil
	})
	if err != nil {
		if !errors.Is(err, base.ErrCorruption) {
			t.Fatalf("decode error %v is not corruption", err)
		}
		return
	}
	if res.FileSize != int64(len(data)) || res.ValidSize > res.FileSize {
		t.Fatalf("result %+v for %d bytes", res, len(data))
	}
	if res.ValidSize == 0 {
		if len(recs) != 0 || res.CleanClose || res.TornTail != (len(data) > 0) {
			t.Fatalf("headerless file: %d records, result %+v", len(recs), res)
		}
		return
	}
	if res.TornTail != (res.ValidSize < res.FileSize) {
		t.Fatalf("result %+v: torn tail flag disagrees with sizes", res)
	}
	enc := appendHeader(nil, h)
	nData := 0
	for i, r := range recs {
		if r.Offset != int64(len(enc)) {
			t.Fatalf("record %d at offset %d, want %d", i, r.Offset, len(enc))
		}
		enc = record.Append(enc, h.seed(), r.Type, r.Synced, r.Payload)
		if r.Type == RecordData {
			nData++
		} else if i != len(recs)-1 {
			t.Fatalf("end record %d is not last", i)
		}
	}
	if !bytes.Equal(enc, data[:res.ValidSize]) {
		t.Fatalf("records re-encode to %d bytes that differ from the %d valid bytes", len(enc), res.ValidSize)
	}
	if res.Records != nData || res.CleanClose != (len(recs) > 0 && recs[len(recs)-1].Type == RecordEnd) {
		t.Fatalf("result %+v for %d records", res, len(recs))
	}
}

// FuzzRecord feeds arbitrary bytes to recovery as the body of a WAL with a
// valid header.
func FuzzRecord(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkDecode(t, append(legacyHeader(7), body...))
		checkDecode(t, append(appendHeader(nil, Header{Num: 7}), body...))
	})
}

// FuzzFile feeds arbitrary bytes to recovery as a whole WAL file, header
// included, through Replay and the file system.
func FuzzFile(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(append(legacyHeader(7), s...))
	}
	f.Add([]byte("TMPS_WAL"))
	f.Add(make([]byte, HeaderSize))
	f.Add(legacyHeader(8))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecode(t, data)
		fs := newMemFS(t)
		writeFile(t, fs, walPath(7), data)
		if _, err := Replay(fs, testDir, 7, func([]byte, int64) error { return nil }); err != nil &&
			!errors.Is(err, base.ErrCorruption) {
			t.Fatalf("Replay: %v", err)
		}
	})
}
