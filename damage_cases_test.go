package tempest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"path"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/journal"
	"github.com/tempestdb/tempest/vfs"
	"github.com/tempestdb/tempest/wal"
)

// The damage classes of the matrix, applied to one image: delete each
// kind of file; truncate it at several offsets; zero ranges of it; swap
// two SSTs; put back an older copy of a file; add unknown files.

// damageCase is one damage applied to one image.
type damageCase struct {
	class string // delete, truncate, zero, swap, rollback, unknown
	desc  string
	// paths are the damaged files (or directory): a refusal must name one.
	paths []string
	apply func(fs *vfs.MemFS) error
	// harmless: no acknowledged data is at stake (an unknown file, a
	// missing LOCK, an obsolete file put back), so a refusal is a false
	// alarm.
	harmless bool
	// added are the unknown files the case adds: they must survive, with
	// their content.
	added map[string][]byte
	// obsolete are engine files that the engine itself deleted and the
	// case puts back: Open may delete them again.
	obsolete []string
	// cut is set when no format can tell the damage from what a crash
	// leaves (see damageCut).
	cut *damageCut
}

// damageCut describes damage to the live WAL of a crash image that looks
// exactly like the unsynced tail a crash may lose: the file cut short at
// or after its header, or a region zeroed with no intact record after it
// vouching (by its synced offset) that the region had been synced.
// Recovery then keeps the records before the damage: the first keep
// commits. The documented case is a cut at a record boundary; a cut
// inside a record is a torn write, and a zeroed unsynced region is a
// power loss losing a page, both just as undetectable.
type damageCut struct {
	keep int
	kind string
}

const (
	cutAtBoundary = "live WAL cut at a record boundary after a crash"
	cutMidRecord  = "live WAL cut inside a record after a crash (a torn write)"
	cutZeroed     = "unsynced live WAL region zeroed after a crash"
)

// damageTarget is a file of an image that the matrix damages.
type damageTarget struct {
	kind   string // manifest, live WAL, older WAL, L0 SST, deeper SST
	path   string
	header int // the size of the file's header, or 0
}

func (tg damageTarget) String() string { return tg.kind + " " + damageRel(tg.path) }

// damageRel returns p relative to the DB directory.
func damageRel(p string) string { return strings.TrimPrefix(p, damageRoot+"/") }

// targets returns one file of each kind of the image (every WAL).
func (img *damageImage) targets(t *testing.T) []damageTarget {
	ts := []damageTarget{{"manifest", img.manifest(t), journal.HeaderSize}}
	w := img.wals(t)
	for i, p := range w {
		kind := "older WAL"
		if i == len(w)-1 {
			kind = "live WAL"
		}
		ts = append(ts, damageTarget{kind, p, wal.HeaderSize})
	}
	if s, ok := img.sst(func(level int) bool { return level == 0 }); ok {
		ts = append(ts, damageTarget{"L0 SST", s.path, 0})
	}
	if s, ok := img.sst(func(level int) bool { return level > 0 }); ok {
		ts = append(ts, damageTarget{fmt.Sprintf("L%d SST", s.level), s.path, 0})
	}
	if p, ok := img.blobFile(t); ok {
		ts = append(ts, damageTarget{"blob file", p, 0})
	}
	return ts
}

// blobFile returns the path of the image's lowest-numbered blob file.
func (img *damageImage) blobFile(t *testing.T) (string, bool) {
	dir := path.Join(damageRoot, base.SSTDir)
	names, err := img.fs.List(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if isBlobFileName(n) {
			return path.Join(dir, n), true
		}
	}
	return "", false
}

// sst returns the first live SST whose level satisfies pred.
func (img *damageImage) sst(pred func(level int) bool) (damageSST, bool) {
	for _, s := range img.ssts {
		if pred(s.level) {
			return s, true
		}
	}
	return damageSST{}, false
}

// damageCasesFor returns every case of the matrix for img.
func damageCasesFor(t *testing.T, img *damageImage) []damageCase {
	targets := img.targets(t)
	var cs []damageCase
	cs = append(cs, img.deleteCases(t, targets)...)
	cs = append(cs, img.truncateCases(t, targets)...)
	cs = append(cs, img.zeroCases(t, targets)...)
	cs = append(cs, img.swapCases(t)...)
	cs = append(cs, img.rollbackCases(t)...)
	cs = append(cs, img.unknownCases(t)...)
	return cs
}

func (img *damageImage) deleteCases(t *testing.T, targets []damageTarget) []damageCase {
	var cs []damageCase
	for _, tg := range targets {
		paths := []string{tg.path}
		if tg.kind == "manifest" {
			paths = append(paths, path.Dir(tg.path)) // naming its directory will do
		}
		cs = append(cs, damageCase{class: "delete", desc: "delete the " + tg.String(), paths: paths,
			apply: func(fs *vfs.MemFS) error { return fs.Remove(tg.path) }})
	}
	dir := path.Join(damageRoot, "manifest")
	cs = append(cs, damageCase{class: "delete", desc: "delete the manifest directory", paths: []string{dir},
		apply: func(fs *vfs.MemFS) error { return damageRemoveAll(fs, dir) }})
	lock := path.Join(damageRoot, "LOCK")
	cs = append(cs, damageCase{class: "delete", desc: "delete LOCK", paths: []string{lock}, harmless: true,
		apply: func(fs *vfs.MemFS) error { return fs.Remove(lock) }})
	return cs
}

// damageRemoveAll removes dir and the files in it.
func damageRemoveAll(fs *vfs.MemFS, dir string) error {
	names, err := fs.List(dir)
	if err != nil {
		return err
	}
	for _, n := range names {
		if err := fs.Remove(path.Join(dir, n)); err != nil {
			return err
		}
	}
	return fs.Remove(dir)
}

// rewriteCase returns a case that replaces the content of tg with data,
// or false if data is what the file holds.
func (img *damageImage) rewriteCase(t *testing.T, class, desc string, tg damageTarget, data []byte) (damageCase, bool) {
	if bytes.Equal(data, img.read(t, tg.path)) {
		return damageCase{}, false
	}
	return damageCase{class: class, desc: desc, paths: []string{tg.path},
		apply: func(fs *vfs.MemFS) error { return fs.WriteFile(tg.path, data) },
		cut:   img.cutFor(t, tg.path, data)}, true
}

func (img *damageImage) truncateCases(t *testing.T, targets []damageTarget) []damageCase {
	var cs []damageCase
	for _, tg := range targets {
		orig := img.read(t, tg.path)
		size := len(orig)
		offsets := []struct {
			n     int
			label string
		}{{0, "empty"}, {tg.header, "header only"}, {size / 2, "half"}, {size - 1, "minus one byte"}}
		seen := map[int]bool{}
		for _, off := range offsets {
			if off.n < 0 || off.n >= size || seen[off.n] || (off.label == "header only" && tg.header == 0) {
				continue
			}
			seen[off.n] = true
			desc := fmt.Sprintf("truncate the %s to %d of %d bytes (%s)", tg, off.n, size, off.label)
			if c, ok := img.rewriteCase(t, "truncate", desc, tg, orig[:off.n]); ok {
				cs = append(cs, c)
			}
		}
	}
	return cs
}

func (img *damageImage) zeroCases(t *testing.T, targets []damageTarget) []damageCase {
	var cs []damageCase
	for _, tg := range targets {
		orig := img.read(t, tg.path)
		size := len(orig)
		w := min(2048, size/4)
		ranges := []struct {
			from, to int
			label    string
		}{
			{0, min(4096, size/2), "start"},
			{size/2 - w, size/2 + w, "middle"},
			{size - min(64<<10, size/2), size, "tail"},
		}
		for _, r := range ranges {
			if r.from >= r.to {
				continue
			}
			data := bytes.Clone(orig)
			clear(data[r.from:r.to])
			desc := fmt.Sprintf("zero bytes [%d, %d) of the %d-byte %s (%s)", r.from, r.to, size, tg, r.label)
			if c, ok := img.rewriteCase(t, "zero", desc, tg, data); ok {
				cs = append(cs, c)
			}
		}
	}
	return cs
}

// swapCases swaps two L0 SSTs, an L0 and a deeper SST, two deeper SSTs,
// and two SSTs of equal size (which the scenarios build on purpose).
func (img *damageImage) swapCases(t *testing.T) []damageCase {
	var l0, deeper []damageSST
	for _, s := range img.ssts {
		if s.level == 0 {
			l0 = append(l0, s)
		} else {
			deeper = append(deeper, s)
		}
	}
	var pairs []damageSwap
	add := func(a, b damageSST, label string) {
		if a.size == b.size {
			label += " of equal size"
		}
		if !damageSwapsHave(pairs, a, b) {
			pairs = append(pairs, damageSwap{a, b, label})
		}
	}
	if len(l0) >= 2 {
		add(l0[0], l0[len(l0)-1], "two L0 SSTs")
	}
	if len(l0) >= 1 && len(deeper) >= 1 {
		add(l0[0], deeper[0], "an L0 and a deeper SST")
	}
	if len(deeper) >= 2 {
		add(deeper[0], deeper[len(deeper)-1], "two deeper SSTs")
	}
	for i, a := range img.ssts {
		for _, b := range img.ssts[i+1:] {
			if a.size == b.size {
				add(a, b, "two SSTs")
			}
		}
	}
	var cs []damageCase
	for _, p := range pairs {
		da, db := img.read(t, p.a.path), img.read(t, p.b.path)
		desc := fmt.Sprintf("swap %s: %s (L%d, %d bytes) and %s (L%d, %d bytes)", p.label,
			damageRel(p.a.path), p.a.level, len(da), damageRel(p.b.path), p.b.level, len(db))
		cs = append(cs, damageCase{class: "swap", desc: desc, paths: []string{p.a.path, p.b.path},
			apply: func(fs *vfs.MemFS) error {
				if err := fs.WriteFile(p.a.path, db); err != nil {
					return err
				}
				return fs.WriteFile(p.b.path, da)
			}})
	}
	return cs
}

// damageSwap is a pair of SSTs to swap.
type damageSwap struct {
	a, b  damageSST
	label string
}

func damageSwapsHave(pairs []damageSwap, x, y damageSST) bool {
	for _, p := range pairs {
		if (p.a == x && p.b == y) || (p.a == y && p.b == x) {
			return true
		}
	}
	return false
}

// rollbackCases puts back the copies taken during the DB's life. A copy
// of a file that still exists, with other content, rolls it back; a copy
// of a file the engine deleted since is an obsolete file put back, which
// holds nothing the DB needs.
func (img *damageImage) rollbackCases(t *testing.T) []damageCase {
	var cs []damageCase
	for _, c := range img.copies {
		cur, err := img.fs.ReadFile(c.path)
		if err == nil {
			if bytes.Equal(cur, c.data) {
				continue
			}
			desc := fmt.Sprintf("put back an older copy of %s (%d bytes, taken %s; now %d bytes)",
				damageRel(c.path), len(c.data), c.when, len(cur))
			tg := damageTarget{path: c.path}
			if dc, ok := img.rewriteCase(t, "rollback", desc, tg, c.data); ok {
				cs = append(cs, dc)
			}
			continue
		}
		desc := fmt.Sprintf("put back %s (taken %s), which the engine has deleted since", damageRel(c.path), c.when)
		cs = append(cs, damageCase{class: "rollback", desc: desc, paths: []string{c.path}, harmless: true,
			obsolete: []string{c.path},
			apply:    func(fs *vfs.MemFS) error { return fs.WriteFile(c.path, c.data) }})
	}
	return cs
}

// unknownCases add files the engine did not write: names it never uses
// (a refusal is a false alarm), and names of its own form whose numbers
// lie far beyond anything it allocated (a refusal naming them is
// acceptable). Either way the file must survive untouched.
func (img *damageImage) unknownCases(t *testing.T) []damageCase {
	notes := []byte("notes kept next to the database\n")
	garbage := make([]byte, 3000)
	rng := faultRand(11)
	for i := range garbage {
		garbage[i] = byte(rng.Uint32())
	}
	w := img.wals(t)
	liveWAL := img.read(t, w[len(w)-1])
	manifest := img.read(t, img.manifest(t))
	var anySST []byte
	if len(img.ssts) > 0 {
		anySST = img.read(t, img.ssts[0].path)
	}
	files := []struct {
		rel      string
		data     []byte
		harmless bool
		what     string
	}{
		{"notes.txt", notes, true, "a text file"},
		{"sst/notes.txt", notes, true, "a text file"},
		{"wal/notes.txt", notes, true, "a text file"},
		{"manifest/notes.txt", notes, true, "a text file"},
		{"sst/12345.sst", garbage, true, "garbage under a non-canonical SST name"},
		{"sst/000001.sst.bak", anySST, true, "a copy of a live SST"},
		{"wal/000001.log.old", liveWAL, true, "a copy of the live WAL"},
		{"manifest/manifest-000000.bak", manifest, true, "a copy of the manifest"},
		{"sst/900000.sst", garbage, false, "garbage"},
		{"sst/900001.sst", anySST, false, "a copy of a live SST"},
		{"sst/900002.blob", garbage, false, "garbage under a blob file name"},
		{"wal/900000.log", garbage, false, "garbage"},
		{"wal/900001.log", liveWAL, false, "a copy of the live WAL"},
		{"manifest/manifest-900000", garbage, false, "garbage"},
	}
	var cs []damageCase
	for _, f := range files {
		if f.data == nil {
			continue // no SST to copy
		}
		p := path.Join(damageRoot, f.rel)
		desc := fmt.Sprintf("add %s (%s, %d bytes)", f.rel, f.what, len(f.data))
		cs = append(cs, damageCase{class: "unknown", desc: desc, paths: []string{p}, harmless: f.harmless,
			added: map[string][]byte{p: f.data},
			apply: func(fs *vfs.MemFS) error { return fs.WriteFile(p, f.data) }})
	}
	return cs
}

// walRecord is a record of a WAL file, located by parsing the format of
// wal/doc.go.
type walRecord struct {
	start, end int
	typ        wal.RecordType
	synced     uint64
}

// walRecords lists the records of an undamaged WAL, up to the first that
// does not fit in data.
func walRecords(data []byte) []walRecord {
	var recs []walRecord
	for off := wal.HeaderSize; off+wal.RecordHeaderSize <= len(data); {
		n := int(binary.LittleEndian.Uint32(data[off+8:]))
		end := off + wal.RecordHeaderSize + n
		if end > len(data) || data[off+12] == 0 {
			break
		}
		recs = append(recs, walRecord{start: off, end: end, typ: wal.RecordType(data[off+12]),
			synced: binary.LittleEndian.Uint64(data[off+13:])})
		off = end
	}
	return recs
}

// cutFor returns the damageCut that replacing the file at p with damaged
// amounts to, or nil if the damage is detectable: it is not to the live
// WAL of a crash image, it touches the header (synced when the WAL was
// created, before any record), or a later intact record vouches that the
// damaged region had been synced.
func (img *damageImage) cutFor(t *testing.T, p string, damaged []byte) *damageCut {
	w := img.wals(t)
	if !img.crash || p != w[len(w)-1] {
		return nil
	}
	orig := img.read(t, p)
	recs := walRecords(orig)
	first, last, truncated := -1, -1, false
	switch {
	case len(damaged) < len(orig) && bytes.Equal(damaged, orig[:len(damaged)]):
		first, truncated = len(damaged), true
	case len(damaged) == len(orig):
		for i := range orig {
			if orig[i] != damaged[i] {
				if first < 0 {
					first = i
				}
				last = i
			}
		}
	}
	if first < wal.HeaderSize {
		return nil
	}
	r := 0 // records left whole
	for r < len(recs) && recs[r].end <= first {
		r++
	}
	if r == len(recs) {
		return nil // no record damaged
	}
	x := recs[r].start // where recovery finds the first invalid record
	for _, rec := range recs[r:] {
		if !truncated && rec.start > last && rec.synced > uint64(x) {
			return nil // vouched for: detectable
		}
	}
	kind := cutZeroed
	if truncated {
		kind = cutMidRecord
		if first == x {
			kind = cutAtBoundary
		}
	}
	return &damageCut{keep: img.acked - len(recs) + r, kind: kind}
}
