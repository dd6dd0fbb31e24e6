package wal

import (
	"errors"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/crc"
)

// TestFinalDescribesClosedFile checks that Writer.Final after Close is the
// size and CRC-64 of the file's bytes, on the write path and, on linux,
// through a mapping (whose preallocated zeros Close cuts off).
func TestFinalDescribesClosedFile(t *testing.T) {
	forEachMode(t, func(t *testing.T, m mode) {
		fs, dir := m.setup(t)
		w := createIn(t, m, fs, dir, 3)
		for i := range 50 {
			if err := w.WriteRecords([]byte{byte(i), 1, 2, 3}, make([]byte, i*7)); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(4); err != nil {
			t.Fatal(err)
		}
		data := fileBytes(t, fs, fs.PathJoin(dir, FileName(3)))
		got := w.Final()
		if got.Size != int64(len(data)) || got.Checksum != crc.Checksum(data) {
			t.Fatalf("Final %+v, file has %d bytes with checksum %#x", got, len(data), crc.Checksum(data))
		}
		r := replayDir(fs, dir, 3)
		if r.err != nil {
			t.Fatal(r.err)
		}
		if err := (Expect{Recorded: true, Final: got}).Check("log", r.res); err != nil {
			t.Fatalf("the closed file fails its own Final: %v", err)
		}
	})
}

// TestExpectCheck damages a closed log in the ways a file can lose its
// tail and checks which Expect reports it: each damage reads as a torn
// tail (no error from Replay), and is corruption once the manifest says
// the log was closed (Recorded) or the database closed cleanly (Ended).
func TestExpectCheck(t *testing.T) {
	fs := newMemFS(t)
	rng := newRand(t)
	l := buildLog(t, fs, 9, rng, 40, 300, 0.3, 0)
	final := Final{Size: int64(len(l.data)), Checksum: crc.Checksum(l.data)}
	half := l.offsets[len(l.offsets)/2]
	damaged := map[string][]byte{
		"truncated at a record boundary": l.data[:half],
		"truncated mid-record":           l.data[:half+5],
		"end record cut":                 l.data[:len(l.data)-3],
		"zeroed tail":                    zeroFrom(l.data, half),
	}
	for name, data := range damaged {
		t.Run(name, func(t *testing.T) {
			writeFile(t, fs, walPath(9), data)
			r := replay(fs, 9)
			if r.err != nil || r.res.CleanClose {
				t.Fatalf("replay: %v, %+v; want a torn tail", r.err, r.res)
			}
			if err := (Expect{}).Check(walPath(9), r.res); err != nil {
				t.Fatalf("no expectation: %v", err)
			}
			for _, e := range []Expect{{Recorded: true, Final: final}, {Ended: true}} {
				err := e.Check(walPath(9), r.res)
				var ce *base.CorruptionError
				if !errors.As(err, &ce) || ce.File != walPath(9) || ce.Offset != r.res.ValidSize {
					t.Fatalf("%+v: %v, want corruption at offset %d", e, err, r.res.ValidSize)
				}
			}
		})
	}
	// A complete log of another size or content is caught by Final only.
	other := buildLog(t, fs, 9, rng, 41, 300, 0.3, 0)
	r := replay(fs, 9)
	if r.err != nil || !r.res.CleanClose {
		t.Fatalf("replay: %v %+v", r.err, r.res)
	}
	if err := (Expect{Ended: true}).Check(walPath(9), r.res); err != nil {
		t.Fatal(err)
	}
	if err := (Expect{Recorded: true, Final: final}).Check(walPath(9), r.res); !errors.Is(err, base.ErrCorruption) {
		t.Fatalf("another log (%d bytes, was %d): %v", len(other.data), final.Size, err)
	}
	// A log that never held a record satisfies Ended: an Open that
	// crashed after creating it left it.
	writeFile(t, fs, walPath(9), legacyHeader(9))
	if r := replay(fs, 9); r.err != nil || (Expect{Ended: true}).Check(walPath(9), r.res) != nil {
		t.Fatalf("header-only log: %v", r.err)
	}
}

func zeroFrom(data []byte, off int64) []byte {
	out := append([]byte(nil), data...)
	clear(out[off:])
	return out
}
