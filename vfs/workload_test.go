package vfs_test

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/vfs"
)

// workload drives random operations on a MemFS directory and models what
// must survive a crash: a name whose directory was synced after its last
// change (durable entry) holds the file the model says, with at least that
// file's synced bytes, and only written bytes or zeros after them. Writes
// only append, so the synced bytes are a prefix.
type workload struct {
	fs      *vfs.MemFS
	intn    func(int) int
	names   map[string]*wfile // current entries
	durable map[string]bool   // entry made durable by a directory sync
	handles []whandle
}

type wfile struct {
	data   []byte
	synced int // len(data) at the last Sync
}

type whandle struct {
	f    vfs.File
	file *wfile
}

const wdir = "/d"

var wnames = []string{"a", "b", "c", "d", "e"}

func newWorkload(fs *vfs.MemFS, intn func(int) int) *workload {
	if err := fs.MkdirAll(wdir, 0o755); err != nil {
		panic(err)
	}
	return &workload{fs: fs, intn: intn, names: map[string]*wfile{}, durable: map[string]bool{}}
}

func (w *workload) path(name string) string { return wdir + "/" + name }

func (w *workload) step() error {
	name := wnames[w.intn(len(wnames))]
	switch op := w.intn(10); {
	case op < 2: // create
		if len(w.handles) >= 4 {
			if err := w.closeHandle(0); err != nil {
				return err
			}
		}
		f, err := w.fs.Create(w.path(name))
		if err != nil {
			return err
		}
		nf := &wfile{}
		w.names[name] = nf
		w.durable[name] = false
		w.handles = append(w.handles, whandle{f, nf})
	case op < 5: // append
		if len(w.handles) == 0 {
			return nil
		}
		h := w.handles[w.intn(len(w.handles))]
		p := bytes.Repeat([]byte{byte(1 + w.intn(255))}, w.intn(6000))
		if _, err := h.f.Write(p); err != nil {
			return err
		}
		h.file.data = append(h.file.data, p...)
	case op < 6: // file sync
		if len(w.handles) == 0 {
			return nil
		}
		h := w.handles[w.intn(len(w.handles))]
		if err := h.f.Sync(); err != nil {
			return err
		}
		h.file.synced = len(h.file.data)
	case op < 7: // directory sync
		d, err := w.fs.OpenDir(wdir)
		if err != nil {
			return err
		}
		if err := d.Sync(); err != nil {
			return err
		}
		if err := d.Close(); err != nil {
			return err
		}
		for _, n := range wnames {
			w.durable[n] = true
		}
	case op < 8: // rename
		to := wnames[w.intn(len(wnames))]
		if w.names[name] == nil || to == name {
			return nil
		}
		if err := w.fs.Rename(w.path(name), w.path(to)); err != nil {
			return err
		}
		w.names[to] = w.names[name]
		delete(w.names, name)
		w.durable[name], w.durable[to] = false, false
	case op < 9: // remove
		if w.names[name] == nil {
			return nil
		}
		if err := w.fs.Remove(w.path(name)); err != nil {
			return err
		}
		delete(w.names, name)
		w.durable[name] = false
	default: // close
		if len(w.handles) == 0 {
			return nil
		}
		return w.closeHandle(w.intn(len(w.handles)))
	}
	return nil
}

func (w *workload) closeHandle(i int) error {
	err := w.handles[i].f.Close()
	w.handles = slices.Delete(w.handles, i, i+1)
	return err
}

func (w *workload) close() {
	for len(w.handles) > 0 {
		_ = w.closeHandle(0)
	}
}

func (w *workload) list(c *vfs.MemFS) (map[string]bool, error) {
	names, err := c.List(wdir)
	if err != nil {
		return nil, err
	}
	m := map[string]bool{}
	for _, n := range names {
		if !slices.Contains(wnames, n) {
			return nil, fmt.Errorf("unexpected entry %q", n)
		}
		m[n] = true
	}
	return m, nil
}

// check verifies a clone taken at any percentage.
func (w *workload) check(c *vfs.MemFS) error {
	present, err := w.list(c)
	if err != nil {
		return err
	}
	for _, name := range wnames {
		if !w.durable[name] {
			continue
		}
		f := w.names[name]
		if f == nil {
			if present[name] {
				return fmt.Errorf("%s: durably absent, but exists", name)
			}
			continue
		}
		if !present[name] {
			return fmt.Errorf("%s: durable entry lost", name)
		}
		got, err := c.ReadFile(w.path(name))
		if err != nil {
			return err
		}
		if len(got) < f.synced || len(got) > len(f.data) {
			return fmt.Errorf("%s: length %d outside [%d, %d]", name, len(got), f.synced, len(f.data))
		}
		if !bytes.Equal(got[:f.synced], f.data[:f.synced]) {
			return fmt.Errorf("%s: synced bytes changed", name)
		}
		for i := f.synced; i < len(got); i++ {
			if got[i] != 0 && got[i] != f.data[i] {
				return fmt.Errorf("%s: byte %d is %#x, neither written nor zero", name, i, got[i])
			}
		}
	}
	return nil
}

// checkComplete verifies a process-crash clone: everything survives.
func (w *workload) checkComplete(c *vfs.MemFS) error {
	present, err := w.list(c)
	if err != nil {
		return err
	}
	for _, name := range wnames {
		f := w.names[name]
		if (f != nil) != present[name] {
			return fmt.Errorf("%s: exists=%t in clone, %t in model", name, present[name], f != nil)
		}
		if f == nil {
			continue
		}
		got, err := c.ReadFile(w.path(name))
		if err != nil {
			return err
		}
		if !bytes.Equal(got, f.data) {
			return fmt.Errorf("%s: content differs (len %d, want %d)", name, len(got), len(f.data))
		}
	}
	return nil
}

// dumpAll describes every directory and file of fs with a content hash.
func dumpAll(t *testing.T, fs *vfs.MemFS) string {
	t.Helper()
	var b strings.Builder
	var walk func(dir string)
	walk = func(dir string) {
		names, err := fs.List(dir)
		must(t, err)
		for _, n := range names {
			p := fs.PathJoin(dir, n)
			fi, err := fs.Stat(p)
			must(t, err)
			if fi.IsDir() {
				fmt.Fprintf(&b, "%s/\n", p)
				walk(p)
				continue
			}
			data, err := fs.ReadFile(p)
			must(t, err)
			h := fnv.New64a()
			h.Write(data)
			fmt.Fprintf(&b, "%s %d %x\n", p, len(data), h.Sum64())
		}
	}
	walk("/")
	return b.String()
}
