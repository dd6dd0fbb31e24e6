package wal

import (
	"bytes"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/record"
	"github.com/tempestdb/tempest/vfs"
)

// framing builds WAL files by hand in one of the two framings.
type framing struct {
	name   string
	legacy bool
}

// framings are both framings: tests that build files by hand run in each.
var framings = []framing{{name: "record"}, {name: "legacy", legacy: true}}

// forEachFraming runs f as a subtest in each framing.
func forEachFraming(t *testing.T, f func(t *testing.T, enc framing)) {
	for _, enc := range framings {
		t.Run(enc.name, func(t *testing.T) { f(t, enc) })
	}
}

// header returns the file header of WAL num.
func (e framing) header(num base.FileNum) []byte {
	return appendHeader(nil, Header{Num: num, Legacy: e.legacy})
}

// record returns a record of WAL num.
func (e framing) record(num base.FileNum, t RecordType, synced int64, payload []byte) []byte {
	return record.Append(nil, Header{Num: num, Legacy: e.legacy}.seed(), t, synced, payload)
}

// legacyHeader returns the header of WAL num in the legacy framing.
func legacyHeader(num base.FileNum) []byte { return framing{legacy: true}.header(num) }

// appendRecord appends a record of the legacy framing (unseeded).
func appendRecord(dst []byte, t RecordType, synced int64, payload []byte) []byte {
	return record.Append(dst, record.Unseeded, t, synced, payload)
}

// TestCreateFraming: Create writes the record framing by default and the
// legacy framing with Options.Legacy, and each reads back as written.
func TestCreateFraming(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		fs := newMemFS(t)
		w, err := Create(fs, testDir, 3, Options{Legacy: legacy})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteRecords([]byte("a"), []byte("b")); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(4); err != nil {
			t.Fatal(err)
		}
		data, err := vfs.ReadFile(fs, walPath(3))
		if err != nil {
			t.Fatal(err)
		}
		want := map[bool]string{false: magic, true: legacyMagic}[legacy]
		if string(data[:8]) != want {
			t.Fatalf("legacy=%v: magic %q, want %q", legacy, data[:8], want)
		}
		h, recs, res, err := ReadAll(fs, walPath(3))
		if err != nil || h.Legacy != legacy || h.Num != 3 || len(recs) != 3 || !res.CleanClose || res.Next != 4 {
			t.Fatalf("legacy=%v: header %+v, %d records, %+v, %v", legacy, h, len(recs), res, err)
		}
	}
}

// TestRecordOfAnotherLog: a record copied from another log of the record
// framing does not read in this one (its checksum is seeded by the
// header); in the legacy framing it would.
func TestRecordOfAnotherLog(t *testing.T) {
	for _, enc := range framings {
		fs := newMemFS(t)
		data := append(enc.header(5), enc.record(6, RecordData, HeaderSize, []byte("from log 6"))...)
		writeFile(t, fs, walPath(5), data)
		r := replay(fs, 5)
		if r.err != nil {
			t.Fatal(r.err)
		}
		if got := len(r.payloads); got != map[bool]int{false: 0, true: 1}[enc.legacy] {
			t.Fatalf("%s: %d records of log 6 read in log 5", enc.name, got)
		}
	}
}

// TestSalvageDamagedFileNumber: salvage of a record-framed log whose
// header lost its file number reads the records under the number of the
// file's name.
func TestSalvageDamagedFileNumber(t *testing.T) {
	rng := newRand(t)
	fs := newMemFS(t)
	l := buildLog(t, fs, 9, rng, 5, 50, 1, 0)
	data := bytes.Clone(l.data)
	data[0], data[8] = data[0]^0xff, data[8]^0xff
	s := salvage(t, data)
	if s.res.HeaderValid || len(s.payloads) != len(l.payloads) || len(s.res.Damage) != 1 {
		t.Fatalf("damaged header: %d of %d records, %+v", len(s.payloads), len(l.payloads), s.res)
	}
}
