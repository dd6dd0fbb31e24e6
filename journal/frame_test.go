package journal

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"

	"github.com/tempestdb/tempest/internal/crc"
)

func TestCRCShift(t *testing.T) {
	rng := newRand(testSeed(t))
	for i := 0; i < 200; i++ {
		a := make([]byte, rng.IntN(100))
		b := make([]byte, rng.IntN(5000))
		for k := range a {
			a[k] = byte(rng.Uint32())
		}
		for k := range b {
			b[k] = byte(rng.Uint32())
		}
		whole := crc.Checksum(append(append([]byte(nil), a...), b...))
		if got := crcShift(crc.Checksum(a), uint64(len(b))) ^ crc.Checksum(b); got != whole {
			t.Fatalf("combine of %d+%d bytes: %#x, want %#x", len(a), len(b), got, whole)
		}
	}
	if crcShift(0, 12345) != 0 || crcShift(0xabc, 0) != 0xabc {
		t.Fatal("shift identities")
	}
}

func TestCRCRanger(t *testing.T) {
	rng := newRand(testSeed(t))
	for _, n := range []int{0, 1, crcCheckpoint - 1, crcCheckpoint, crcCheckpoint + 1, 10 * crcCheckpoint, 20000} {
		data := make([]byte, n)
		for k := range data {
			data[k] = byte(rng.Uint32())
		}
		r := newCRCRanger(data)
		for i := 0; i < 300; i++ {
			a := rng.IntN(n + 1)
			b := a + rng.IntN(n-a+1)
			if got, want := r.rangeSum(a, b), crc.Checksum(data[a:b]); got != want {
				t.Fatalf("n=%d [%d,%d): %#x, want %#x", n, a, b, got, want)
			}
			if got, want := r.prefix(b), crc.Checksum(data[:b]); got != want {
				t.Fatalf("n=%d prefix %d: %#x, want %#x", n, b, got, want)
			}
		}
	}
}

func TestFrameRoundTrip(t *testing.T) {
	for _, body := range [][]byte{{0}, []byte("hello"), bytes.Repeat([]byte{7}, 5000)} {
		f := appendFrame([]byte("xx"), body)[2:]
		got, n, p := decodeFrame(append(f, 1, 2, 3))
		if p != frameOK || n != len(f) || !bytes.Equal(got, body) {
			t.Fatalf("decode: %v %d %q", p, n, got)
		}
		for cut := 0; cut < len(f); cut++ {
			if _, _, p := decodeFrame(f[:cut]); p == frameOK {
				t.Fatalf("truncated frame of %d bytes decoded", cut)
			}
		}
		for i := range f {
			g := bytes.Clone(f)
			g[i] ^= 0x40
			if _, _, p := decodeFrame(g); p == frameOK {
				t.Fatalf("flip at %d decoded", i)
			}
		}
	}
	if _, _, p := decodeFrame(make([]byte, 64)); p != frameEmpty {
		t.Fatalf("zeros: %v", p)
	}
}

// TestFindValidFrame checks the scan on long candidates, which go through
// prefix checksums.
func TestFindValidFrame(t *testing.T) {
	rng := newRand(testSeed(t))
	body := make([]byte, 3*crcCheckpoint)
	for i := range body {
		body[i] = byte(rng.Uint32())
	}
	codec := rawCodec{}
	for _, lead := range []int{0, 1, 7, crcCheckpoint - 3, 5 * crcCheckpoint} {
		garbage := make([]byte, lead)
		for i := range garbage {
			garbage[i] = byte(rng.Uint32())
		}
		data := appendFrame(bytes.Clone(garbage), body)
		data = append(data, 1, 2, 3)
		p, ok := findValidFrame(data, 0, codec)
		if !ok || p != lead {
			t.Fatalf("lead %d: found %d %v", lead, p, ok)
		}
		if p, ok := findValidFrame(data, lead+1, codec); ok {
			t.Fatalf("lead %d: found a frame at %d after the only one", lead, p)
		}
	}
}

// TestFindValidFrameAmongLongCandidates: a valid frame hidden behind
// many long candidates (each checked through the running prefix checksum)
// is found at its exact offset.
func TestFindValidFrameAmongLongCandidates(t *testing.T) {
	rng := newRand(testSeed(t))
	for round := 0; round < 20; round++ {
		lead := rng.IntN(20000)
		garbage := make([]byte, lead)
		for i := range garbage {
			garbage[i] = byte(rng.Uint32())
		}
		// Plant long lengths that fit at many offsets.
		for i := 0; i+12 <= lead; i += 1 + rng.IntN(8) {
			binary.LittleEndian.PutUint32(garbage[i+8:], uint32(shortRange+rng.IntN(lead-i+3000)))
		}
		body := make([]byte, 1+rng.IntN(5000))
		for i := range body {
			body[i] = byte(rng.Uint32())
		}
		data := appendFrame(garbage, body)
		if p, ok := findValidFrame(data, 0, rawCodec{}); !ok || p != lead {
			t.Fatalf("round %d: found %d %v, want %d", round, p, ok, lead)
		}
	}
}

// rawCodec accepts any body.
type rawCodec struct{}

func (rawCodec) Encode(dst []byte, e []byte) []byte { return append(dst, e...) }
func (rawCodec) Decode(b []byte) ([]byte, error)    { return bytes.Clone(b), nil }

// TestScanIsLinear: the corruption scan over a long region whose every
// offset claims a long frame must not take quadratic time (which would
// take hours here; linear takes well under a second).
func TestScanIsLinear(t *testing.T) {
	const n = 1 << 20
	data := make([]byte, n)
	// Every u32 at every offset decodes as a length just under the rest of
	// the file, the worst case for a direct checksum per candidate.
	for i := 0; i+4 <= n; i += 4 {
		binary.LittleEndian.PutUint32(data[i:], uint32(n/2))
	}
	start := time.Now()
	if _, ok := findValidFrame(data, 0, rawCodec{}); ok {
		t.Fatal("found a frame in garbage")
	}
	if d := time.Since(start); d > time.Minute {
		t.Fatalf("scan of %d bytes took %v", n, d)
	}
}
