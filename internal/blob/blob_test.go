package blob

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/vfs"
)

// writeFile writes values to blob file 7 of fs and returns their handles
// and the file's size.
func writeFile(t *testing.T, fs vfs.FS, compress bool, values [][]byte) ([]Handle, uint64) {
	t.Helper()
	f, err := fs.Create("7.blob")
	if err != nil {
		t.Fatal(err)
	}
	w := NewWriter(f, 7, compress)
	var hs []Handle
	for _, v := range values {
		h, err := w.Add(v)
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, h)
	}
	size, err := w.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return hs, size
}

func open(t *testing.T, fs vfs.FS, size uint64) (*Reader, error) {
	t.Helper()
	f, err := fs.Open("7.blob")
	if err != nil {
		t.Fatal(err)
	}
	return Open(f, "7.blob", size)
}

// TestRoundTrip writes raw and compressible values, with and without
// compression, and reads each back through its encoded handle.
func TestRoundTrip(t *testing.T) {
	values := [][]byte{[]byte("short"), bytes.Repeat([]byte("ab"), 1000), {}, []byte("12345678901234567890")}
	for _, compress := range []bool{false, true} {
		fs := vfs.NewMem()
		hs, size := writeFile(t, fs, compress, values)
		r, err := open(t, fs, size)
		if err != nil {
			t.Fatal(err)
		}
		if f := r.Footer(); f.Count != 4 || f.ValueBytes != 2025 {
			t.Fatalf("footer %+v", f)
		}
		for i, h := range hs {
			enc := h.Append(nil)
			d, err := DecodeHandle(enc, "sst")
			if err != nil || d.FileNum != 7 || !bytes.Equal(d.Prefix, values[i][:min(len(values[i]), PrefixLen)]) {
				t.Fatalf("handle %d: %+v %v", i, d, err)
			}
			v, err := r.Read(d, nil)
			if err != nil || !bytes.Equal(v, values[i]) {
				t.Fatalf("value %d (compress %t): %.20q %v", i, compress, v, err)
			}
		}
		if compress && hs[1].Length >= hs[1].ValueLen {
			t.Fatalf("compressible value stored in %d bytes", hs[1].Length)
		}
		r.Close()
	}
}

// TestDamage: a flipped bit in a block fails its read; a wrong size or a
// bad footer fails Open; a bad handle fails decoding. All are corruption
// naming the file.
func TestDamage(t *testing.T) {
	fs := vfs.NewMem()
	hs, size := writeFile(t, fs, false, [][]byte{[]byte("hello world"), []byte("second value")})
	data, err := vfs.ReadFile(fs, "7.blob")
	if err != nil {
		t.Fatal(err)
	}
	rewrite := func(b []byte) {
		f, _ := fs.Create("7.blob")
		f.Write(b)
		f.Close()
	}
	isCorrupt := func(err error, what string) {
		t.Helper()
		if !errors.Is(err, base.ErrCorruption) || !strings.Contains(err.Error(), "7.blob") {
			t.Fatalf("%s: %v, want corruption naming the file", what, err)
		}
	}
	bad := bytes.Clone(data)
	bad[2] ^= 1
	rewrite(bad)
	r, err := open(t, fs, size)
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Read(hs[0], nil)
	isCorrupt(err, "flipped block")
	if v, err := r.Read(hs[1], nil); err != nil || string(v) != "second value" {
		t.Fatalf("undamaged value: %q %v", v, err)
	}
	r.Close()
	_, err = open(t, fs, size+1)
	isCorrupt(err, "size")
	bad = bytes.Clone(data)
	bad[len(bad)-20] ^= 1
	rewrite(bad)
	_, err = open(t, fs, size)
	isCorrupt(err, "footer")
	rewrite(data[:len(data)-5])
	_, err = open(t, fs, size-5)
	isCorrupt(err, "truncated")
	_, err = DecodeHandle([]byte{7, 0, 5, 200, 1}, "7.blob")
	isCorrupt(err, "handle")
}

// TestReadAlloc reads raw and compressed values into buffers of exactly
// their length from alloc; a damaged block, or a handle whose value
// length is wrong, is corruption and allocates nothing.
func TestReadAlloc(t *testing.T) {
	values := [][]byte{[]byte("raw value, too short to compress"), bytes.Repeat([]byte("ab"), 1000), {}}
	fs := vfs.NewMem()
	hs, size := writeFile(t, fs, true, values)
	if hs[1].Length >= hs[1].ValueLen || hs[0].Length != hs[0].ValueLen {
		t.Fatalf("want a raw then a compressed block: %+v %+v", hs[0], hs[1])
	}
	r, err := open(t, fs, size)
	if err != nil {
		t.Fatal(err)
	}
	var asked []int
	alloc := func(n int) []byte {
		asked = append(asked, n)
		return make([]byte, n, n+16) // spare capacity: the value must not use it
	}
	for i, h := range hs {
		asked = asked[:0]
		v, err := r.ReadAlloc(h, alloc)
		if err != nil || !bytes.Equal(v, values[i]) || len(asked) != 1 || asked[0] != len(values[i]) || cap(v) != len(v)+16 {
			t.Fatalf("value %d: %.20q %v, allocations %v", i, v, err, asked)
		}
	}
	for i, h := range hs[:2] {
		wrong := h
		wrong.ValueLen += 1 << 40
		asked = asked[:0]
		_, err := r.ReadAlloc(wrong, alloc)
		if !errors.Is(err, base.ErrCorruption) || len(asked) != 0 {
			t.Fatalf("value %d with a wrong length: %v, allocations %v", i, err, asked)
		}
	}
	r.Close()
	data, err := vfs.ReadFile(fs, "7.blob")
	if err != nil {
		t.Fatal(err)
	}
	for i, h := range hs[:2] {
		bad := bytes.Clone(data)
		bad[h.Offset+1] ^= 1
		f, _ := fs.Create("7.blob")
		f.Write(bad)
		f.Close()
		r, err := open(t, fs, size)
		if err != nil {
			t.Fatal(err)
		}
		asked = asked[:0]
		_, err = r.ReadAlloc(h, alloc)
		if !errors.Is(err, base.ErrCorruption) || !strings.Contains(err.Error(), "checksum") || len(asked) != 0 {
			t.Fatalf("damaged block %d: %v, allocations %v", i, err, asked)
		}
		r.Close()
	}
}
