package tool

import (
	"bytes"
	"encoding/hex"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestLoadDumpRoundTrip loads random binary pairs (with repeated keys),
// dumps them, checks the dump against a model, and loads the dump into a
// second database whose dump must be byte-identical.
func TestLoadDumpRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(testSeed(t), 0))
	keys, values := randomPairs(rng, 3000)
	model := make(map[string][]byte)
	var in []byte
	for i := range keys {
		in = appendPair(in, formatJSON, keys[i], values[i])
		model[string(keys[i])] = values[i]
	}
	tmp := t.TempDir()
	input := filepath.Join(tmp, "in.jsonl")
	if err := os.WriteFile(input, in, 0o644); err != nil {
		t.Fatal(err)
	}
	db1, db2 := filepath.Join(tmp, "db1"), filepath.Join(tmp, "db2")
	// A small batch size makes the load commit many batches.
	r := mustRun(t, "load", "--dir", db1, "--batch-size", "4096", input)
	if !strings.HasPrefix(r.stdout, "loaded 3000 pairs") {
		t.Fatalf("load: %v", r)
	}
	dump := mustRun(t, "dump", "--dir", db1).stdout

	var want []byte
	sorted := make([]string, 0, len(model))
	for k := range model {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		want = appendPair(want, formatJSON, []byte(k), model[k])
	}
	if dump != string(want) {
		t.Fatalf("dump differs from the model: %d bytes, want %d", len(dump), len(want))
	}

	// Load from standard input, in the hex format.
	hexDump := mustRun(t, "dump", "--dir", db1, "--format", "hex").stdout
	if r := runWithInput(t, []byte(hexDump), "load", "--dir", db2, "--format", "hex", "-"); r.code != 0 {
		t.Fatalf("load -: %v", r)
	}
	if again := mustRun(t, "dump", "--dir", db2).stdout; again != dump {
		t.Fatal("dump of the reloaded database differs")
	}

	// Bounds, given in hex.
	lo, hi := sorted[len(sorted)/3], sorted[2*len(sorted)/3]
	var part []byte
	for _, k := range sorted {
		if k >= lo && k < hi {
			part = appendPair(part, formatJSON, []byte(k), model[k])
		}
	}
	r = mustRun(t, "dump", "--dir", db2, "--hex", "--lower", hexString(lo), "--upper", hexString(hi))
	if r.stdout != string(part) {
		t.Fatalf("bounded dump: %d bytes, want %d", len(r.stdout), len(part))
	}
}

func hexString(s string) string { return hex.EncodeToString([]byte(s)) }

// TestLoadBadLine checks that a bad line stops the load with its line
// number, after writing the pairs before it.
func TestLoadBadLine(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	in := "{\"k\":\"61\",\"v\":\"31\"}\n{\"k\":\"62\",\"v\":\"32\"}\nnot json\n{\"k\":\"63\",\"v\":\"33\"}\n"
	r := runWithInput(t, []byte(in), "load", "--dir", dir, "-")
	if r.code != ExitFailure {
		t.Fatalf("load of a bad line: %v", r)
	}
	checkErrorLine(t, r.stderr, "load -: line 3: want {")
	if got := mustRun(t, "scan", "--dir", dir).stdout; got != "\"a\" \"1\"\n\"b\" \"2\"\n" {
		t.Fatalf("after a failed load: %q", got)
	}
}

// TestLoadTooLarge checks that a pair over the engine's limits is
// reported with its line.
func TestLoadTooLarge(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	in := appendPair(nil, formatHex, []byte("k"), []byte("v"))
	in = appendPair(in, formatHex, bytes.Repeat([]byte("k"), 1<<17), nil)
	r := runWithInput(t, in, "load", "--dir", dir, "--format", "hex", "-")
	if r.code != ExitFailure {
		t.Fatalf("load of a huge key: %v", r)
	}
	checkErrorLine(t, r.stderr, "line 2: invalid argument: key of 131072 bytes exceeds MaxKeySize")
}
