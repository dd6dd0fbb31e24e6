package wal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/crc"
	"github.com/tempestdb/tempest/vfs"
)

// builtLog describes a log written by buildLog.
type builtLog struct {
	payloads [][]byte
	offsets  []int64 // offsets[i] is where record i starts
	synced   []int64 // synced[i] is record i's synced field
	data     []byte  // the file's bytes
}

// end returns the offset just past data record i.
func (l *builtLog) end(i int) int64 {
	return l.offsets[i] + RecordHeaderSize + int64(len(l.payloads[i]))
}

// buildLog writes n records of up to maxPayload bytes in groups of one to
// four, syncing after a group with probability syncProb. If closeNext is
// non-negative the log is closed naming it; otherwise it is abandoned
// without an end record.
func buildLog(t testing.TB, fs vfs.FS, num base.FileNum, rng *rand.Rand, n, maxPayload int, syncProb float64, closeNext int) *builtLog {
	t.Helper()
	w, err := Create(fs, testDir, num, Options{})
	if err != nil {
		t.Fatal(err)
	}
	l := &builtLog{}
	for len(l.payloads) < n {
		group := make([][]byte, min(1+rng.IntN(4), n-len(l.payloads)))
		off := w.Size()
		for i := range group {
			group[i] = randPayload(rng, maxPayload)
			l.payloads = append(l.payloads, group[i])
			l.offsets = append(l.offsets, off)
			l.synced = append(l.synced, w.SyncedSize())
			off += RecordHeaderSize + int64(len(group[i]))
		}
		if err := w.WriteRecords(group...); err != nil {
			t.Fatal(err)
		}
		if rng.Float64() < syncProb {
			if err := w.Sync(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if closeNext >= 0 {
		if err := w.Close(base.FileNum(closeNext)); err != nil {
			t.Fatal(err)
		}
	} else {
		w.Abandon()
	}
	l.data = fileBytes(t, fs, walPath(num))
	return l
}

// TestTornTail cuts a log without an end record at every byte offset of
// its last two records, and also zero-fills and random-fills from there:
// Replay must return exactly the records wholly before the cut, without
// error.
func TestTornTail(t *testing.T) {
	rng := newRand(t)
	fs := newMemFS(t)
	l := buildLog(t, fs, 1, rng, 10, 300, 0.5, -1)
	n := len(l.payloads)
	// A slice, not a map: the random fill draws from rng, so the order is
	// part of what a seed replays.
	fills := []struct {
		name string
		fill func(tail []byte)
	}{
		{"truncate", nil},
		{"zero", func(tail []byte) { clear(tail) }},
		{"random", func(tail []byte) {
			for i := range tail {
				tail[i] = byte(rng.Uint32())
			}
		}},
	}
	for _, f := range fills {
		fillTail := f.fill
		t.Run(f.name, func(t *testing.T) {
			for cut := l.offsets[n-2]; cut <= int64(len(l.data)); cut++ {
				damaged := bytes.Clone(l.data)
				if fillTail == nil {
					damaged = damaged[:cut]
				} else {
					fillTail(damaged[cut:])
				}
				writeFile(t, fs, walPath(1), damaged)
				// A fill can leave the first bytes after the cut as they
				// were (a payload ending in zeros, a random byte that
				// matches): the damage starts where the bytes differ.
				damagedFrom := firstDiff(damaged, l.data)
				whole := 0
				for whole < n && l.end(whole) <= damagedFrom {
					whole++
				}
				r := replay(fs, 1)
				if r.err != nil {
					t.Fatalf("cut at %d: %v", cut, r.err)
				}
				if len(r.payloads) != whole {
					t.Fatalf("cut at %d: replayed %d records, want %d", cut, len(r.payloads), whole)
				}
				checkPrefix(t, r.payloads, l.payloads)
				validSize := int64(HeaderSize)
				if whole > 0 {
					validSize = l.end(whole - 1)
				}
				want := ReplayResult{Records: whole, ValidSize: validSize, FileSize: int64(len(damaged)),
					TornTail: validSize < int64(len(damaged)), Checksum: crc.Checksum(damaged)}
				if r.res != want {
					t.Fatalf("cut at %d: result %+v, want %+v", cut, r.res, want)
				}
			}
		})
	}
}

// firstDiff returns the first offset at which damaged differs from orig,
// counting a truncation as a difference at its length.
func firstDiff(damaged, orig []byte) int64 {
	n := min(len(damaged), len(orig))
	for i := range n {
		if damaged[i] != orig[i] {
			return int64(i)
		}
	}
	return int64(n)
}

// TestCorruptionBeforeSynced damages each record of a log synced between
// groups. A record followed by one written after a Sync that covered it
// was durable: damage to it is corruption, reported at its offset. A
// record that no later record vouches for ends the log as a torn tail.
func TestCorruptionBeforeSynced(t *testing.T) {
	rng := newRand(t)
	fs := newMemFS(t)
	l := buildLog(t, fs, 3, rng, 100, 200, 1, -1)
	path := walPath(3)
	for i := range l.payloads {
		vouched := false
		for j := i + 1; j < len(l.payloads); j++ {
			vouched = vouched || l.synced[j] > l.offsets[i]
		}
		damaged := bytes.Clone(l.data)
		pos := l.offsets[i] + rng.Int64N(l.end(i)-l.offsets[i])
		damaged[pos] ^= byte(1 + rng.IntN(255))
		writeFile(t, fs, path, damaged)
		r := replay(fs, 3)
		if !vouched {
			if r.err != nil || len(r.payloads) != i || !r.res.TornTail || r.res.ValidSize != l.offsets[i] {
				t.Fatalf("record %d (byte %d): %d records, result %+v, err %v; want a torn tail",
					i, pos, len(r.payloads), r.res, r.err)
			}
			continue
		}
		var ce *base.CorruptionError
		if !errors.Is(r.err, base.ErrCorruption) || !errors.As(r.err, &ce) {
			t.Fatalf("record %d (byte %d): err %v, want corruption", i, pos, r.err)
		}
		if ce.File != path || ce.Offset != l.offsets[i] {
			t.Fatalf("record %d: corruption reported in %s at %d, want %s at %d", i, ce.File, ce.Offset, path, l.offsets[i])
		}
		checkPrefix(t, r.payloads, l.payloads)
	}
}

// TestFlipEveryByte flips each byte of a cleanly closed log. Every flip is
// corruption, except a flip inside the end record, which leaves all data
// records intact and the log not cleanly closed.
func TestFlipEveryByte(t *testing.T) {
	rng := newRand(t)
	fs := newMemFS(t)
	l := buildLog(t, fs, 4, rng, 100, 40, 0.3, 5)
	endOff := l.end(len(l.payloads) - 1)
	for pos := range l.data {
		damaged := bytes.Clone(l.data)
		damaged[pos] ^= byte(1 + rng.IntN(255))
		writeFile(t, fs, walPath(4), damaged)
		r := replay(fs, 4)
		if int64(pos) >= endOff {
			if r.err != nil || len(r.payloads) != len(l.payloads) || r.res.CleanClose || !r.res.TornTail {
				t.Fatalf("flip at %d (end record): %d records, result %+v, err %v", pos, len(r.payloads), r.res, r.err)
			}
			checkPrefix(t, r.payloads, l.payloads)
			continue
		}
		if !errors.Is(r.err, base.ErrCorruption) {
			t.Fatalf("flip at %d: err %v, result %+v; want corruption", pos, r.err, r.res)
		}
	}
}

func TestHeader(t *testing.T) {
	forEachFraming(t, testHeader)
}

func testHeader(t *testing.T, enc framing) {
	fs := newMemFS(t)
	valid := enc.header(12)
	rec := enc.record(12, RecordData, HeaderSize, []byte("payload"))
	for _, tc := range []struct {
		name    string
		data    []byte
		records int
		torn    bool
		err     string // "" for none, "corruption" or "filenum"
	}{
		{name: "empty file", data: nil},
		{name: "one byte", data: []byte{'T'}, torn: true},
		{name: "partial header", data: valid[:15], torn: true},
		{name: "garbage shorter than header", data: []byte("0123456789"), torn: true},
		{name: "zeroed header", data: make([]byte, HeaderSize), torn: true},
		// Create fsyncs the header before anything follows it: a longer
		// file without one lost a durable header.
		{name: "zeroed block", data: make([]byte, 4096), err: "corruption"},
		{name: "header only", data: valid},
		{name: "one record", data: append(bytes.Clone(valid), rec...), records: 1},
		// A header torn into stale bytes with nothing after it: the log
		// never held a record.
		{name: "wrong magic, no records", data: append([]byte("TMPS_WAX"), valid[8:]...), torn: true},
		{name: "wrong magic then data", data: append(append([]byte("TMPS_WAX"), valid[8:]...), rec...), err: "corruption"},
		{name: "not a wal", data: []byte("hello, world, this is a text file"), err: "corruption"},
		{name: "zeroed header then data", data: append(make([]byte, HeaderSize), rec...), err: "corruption"},
		{name: "wrong file number", data: enc.header(13), err: "filenum"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			writeFile(t, fs, walPath(12), tc.data)
			r := replay(fs, 12)
			switch tc.err {
			case "":
				if r.err != nil {
					t.Fatal(r.err)
				}
				if r.res.Records != tc.records || r.res.TornTail != tc.torn || r.res.CleanClose ||
					r.res.FileSize != int64(len(tc.data)) {
					t.Fatalf("result %+v", r.res)
				}
			case "corruption":
				var ce *base.CorruptionError
				if !errors.As(r.err, &ce) || ce.Offset != 0 || ce.File != walPath(12) {
					t.Fatalf("err %v, want corruption at offset 0", r.err)
				}
			case "filenum":
				var fe *FileNumMismatchError
				if !errors.As(r.err, &fe) || !errors.Is(r.err, base.ErrCorruption) || fe.Expected != 12 || fe.Got != 13 {
					t.Fatalf("err %v, want a file number mismatch", r.err)
				}
			}
		})
	}
}

// TestMalformedRecords covers records whose crc matches but whose content
// the writer could not have produced.
func TestMalformedRecords(t *testing.T) {
	forEachFraming(t, testMalformedRecords)
}

func testMalformedRecords(t *testing.T, enc framing) {
	fs := newMemFS(t)
	appendRecord := func(_ []byte, typ RecordType, synced int64, payload []byte) []byte {
		return enc.record(1, typ, synced, payload)
	}
	end := func(off int64, next uint64) []byte {
		return appendRecord(nil, RecordEnd, off, binary.LittleEndian.AppendUint64(nil, next))
	}
	h := enc.header(1)
	r1 := appendRecord(nil, RecordData, HeaderSize, []byte("one"))
	off2 := int64(len(h) + len(r1))
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	for _, tc := range []struct {
		name   string
		data   []byte
		offset int64
	}{
		{"bytes after end record", cat(h, r1, end(off2, 2), []byte{0}), off2 + RecordHeaderSize + endPayloadSize},
		{"record after end record", cat(h, end(HeaderSize, 0), appendRecord(nil, RecordData, HeaderSize, nil)), HeaderSize + RecordHeaderSize + endPayloadSize},
		{"unknown type", cat(h, r1, appendRecord(nil, 3, HeaderSize, nil)), off2},
		{"synced past own offset", cat(h, r1, appendRecord(nil, RecordData, off2+1, nil)), off2},
		{"synced decreasing", cat(h, appendRecord(nil, RecordData, HeaderSize, nil), appendRecord(nil, RecordData, HeaderSize+RecordHeaderSize, nil), appendRecord(nil, RecordData, HeaderSize, nil)), HeaderSize + 2*RecordHeaderSize},
		{"synced below header", cat(h, appendRecord(nil, RecordData, 0, nil)), HeaderSize},
		{"short end record", cat(h, r1, appendRecord(nil, RecordEnd, off2, []byte{1, 2, 3, 4})), off2},
		{"end record not synced", cat(h, r1, end(HeaderSize, 0)), off2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			writeFile(t, fs, walPath(1), tc.data)
			r := replay(fs, 1)
			var ce *base.CorruptionError
			if !errors.As(r.err, &ce) || ce.Offset != tc.offset {
				t.Fatalf("err %v, want corruption at offset %d", r.err, tc.offset)
			}
		})
	}
}

func TestReplayCallbackError(t *testing.T) {
	fs := newMemFS(t)
	rng := newRand(t)
	buildLog(t, fs, 1, rng, 10, 10, 0, 0)
	stop := errors.New("stop")
	calls := 0
	_, err := Replay(fs, testDir, 1, func([]byte, int64) error {
		calls++
		if calls == 3 {
			return stop
		}
		return nil
	})
	if err != stop || calls != 3 {
		t.Fatalf("err %v after %d calls, want the callback's error after 3", err, calls)
	}
	if _, err := Replay(fs, testDir, 2, func([]byte, int64) error { return nil }); err == nil {
		t.Fatal("Replay of a missing WAL succeeded")
	}
}

func TestReadAllFileNameCheck(t *testing.T) {
	fs := newMemFS(t)
	data := append(legacyHeader(8), appendRecord(nil, RecordData, HeaderSize, []byte("x"))...)
	// A name that is not a WAL name: the header's number is not checked.
	writeFile(t, fs, testDir+"/copy", data)
	h, recs, res, err := ReadAll(fs, testDir+"/copy")
	if err != nil || h.Num != 8 || len(recs) != 1 || string(recs[0].Payload) != "x" || res.Records != 1 {
		t.Fatalf("header %+v, records %v, result %+v, err %v", h, recs, res, err)
	}
	// A WAL name that disagrees with the header.
	writeFile(t, fs, walPath(9), data)
	if _, _, _, err := ReadAll(fs, walPath(9)); !errors.Is(err, base.ErrCorruption) {
		t.Fatalf("ReadAll of a misnamed WAL: %v, want corruption", err)
	}
}

func TestFileName(t *testing.T) {
	for _, tc := range []struct {
		num  base.FileNum
		name string
	}{
		{0, "000000.log"},
		{12, "000012.log"},
		{999999, "999999.log"},
		{1234567, "1234567.log"},
		{1<<64 - 1, "18446744073709551615.log"},
	} {
		if got := FileName(tc.num); got != tc.name {
			t.Errorf("FileName(%d) = %q, want %q", tc.num, got, tc.name)
		}
		if got, ok := ParseFileName(tc.name); !ok || got != tc.num {
			t.Errorf("ParseFileName(%q) = %d, %t", tc.name, got, ok)
		}
	}
	for _, name := range []string{"", ".log", "12.log", "0000012.log", "000012.sst", "000012.log.tmp",
		"-00012.log", "+00012.log", "00001a.log", "18446744073709551616.log", "000012"} {
		if num, ok := ParseFileName(name); ok {
			t.Errorf("ParseFileName(%q) = %d, want rejection", name, num)
		}
	}
}

func ExampleFileName() {
	fmt.Println(FileName(12))
	// Output: 000012.log
}
