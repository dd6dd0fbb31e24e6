package tempest

import (
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/vfs"
)

// How the damage matrix judges a recovered DB: every read is compared with
// the model, and the directory is compared with what it held before Open.

// damageView is what a recovered DB shows: a Get of every key the model
// ever touched, and full scans forward and backward.
type damageView struct {
	gets           map[string]damageRead
	fwd, bwd       []damageRead
	fwdErr, bwdErr error
}

// damageRead is one key read: its value, or the error of a Get.
type damageRead struct {
	key, val string
	err      error
}

func damageObserve(d *DB, keys []string) damageView {
	v := damageView{gets: map[string]damageRead{}}
	for _, k := range keys {
		val, err := d.Get([]byte(k))
		v.gets[k] = damageRead{key: k, val: string(val), err: err}
	}
	v.fwd, v.fwdErr = damageScan(d, true)
	v.bwd, v.bwdErr = damageScan(d, false)
	return v
}

// damageScan reads the whole DB with one iterator, in one direction.
func damageScan(d *DB, forward bool) ([]damageRead, error) {
	it, err := d.NewIter(nil)
	if err != nil {
		return nil, err
	}
	var out []damageRead
	ok, step := it.First(), it.Next
	if !forward {
		ok, step = it.Last(), it.Prev
	}
	for ; ok; ok = step() {
		out = append(out, damageRead{key: string(it.Key()), val: string(it.Value())})
	}
	return out, errors.Join(it.Error(), it.Close())
}

// damageJudge compares v with the state want. Reads refused with
// ErrCorruption are returned apart; every other difference is a problem:
// a lost key, a wrong value, a key that should be absent (a resurrected
// delete), another error.
func damageJudge(v damageView, want map[string]string) (problems []string, corrupt []error) {
	for _, k := range slices.Sorted(maps.Keys(v.gets)) {
		r := v.gets[k]
		w, ok := want[k]
		switch {
		case errors.Is(r.err, ErrCorruption):
			corrupt = append(corrupt, r.err)
		case errors.Is(r.err, ErrNotFound):
			if ok {
				problems = append(problems, fmt.Sprintf("Get(%s) = not found, want %.24q (lost)", k, w))
			}
		case r.err != nil:
			problems = append(problems, fmt.Sprintf("Get(%s): %v", k, r.err))
		case !ok:
			problems = append(problems, fmt.Sprintf("Get(%s) = %.24q, want not found (resurrected)", k, r.val))
		case r.val != w:
			problems = append(problems, fmt.Sprintf("Get(%s) = %.24q, want %.24q (wrong value)", k, r.val, w))
		}
	}
	keys := slices.Sorted(maps.Keys(want))
	p, c := damageJudgeScan("forward", v.fwd, v.fwdErr, keys, want)
	problems, corrupt = append(problems, p...), append(corrupt, c...)
	slices.Reverse(keys)
	p, c = damageJudgeScan("backward", v.bwd, v.bwdErr, keys, want)
	return append(problems, p...), append(corrupt, c...)
}

// damageJudgeScan compares a scan with the keys it should return, in scan
// order. The scan may stop early only with ErrCorruption.
func damageJudgeScan(dir string, got []damageRead, err error, keys []string, want map[string]string) (problems []string, corrupt []error) {
	i := 0
	for _, r := range got {
		switch {
		case i < len(keys) && r.key == keys[i]:
			if r.val != want[r.key] {
				return []string{fmt.Sprintf("scan %s: %s = %.24q, want %.24q (wrong value)", dir, r.key, r.val, want[r.key])}, nil
			}
			i++
			continue
		case i < len(keys) && (dir == "forward") == (r.key > keys[i]):
			return []string{fmt.Sprintf("scan %s: skips %s (lost), next is %s", dir, keys[i], r.key)}, nil
		default:
			return []string{fmt.Sprintf("scan %s: returns %s = %.24q, which should be absent (resurrected)", dir, r.key, r.val)}, nil
		}
	}
	switch {
	case errors.Is(err, ErrCorruption):
		return nil, []error{err}
	case err != nil:
		return []string{fmt.Sprintf("scan %s: %v", dir, err)}, nil
	case i < len(keys):
		return []string{fmt.Sprintf("scan %s: ends before %s (%d keys lost)", dir, keys[i], len(keys)-i)}, nil
	}
	return nil, nil
}

// damageNames reports whether err names one of paths (files or a
// directory): a CorruptionError in its tree whose File is one of them or
// lies in one, or a message holding one's path, its file name, or its
// zero-padded file number.
func damageNames(err error, paths []string) bool {
	msg := err.Error()
	for _, p := range paths {
		for _, ce := range corruptionErrors(err) {
			if ce.File == p || strings.HasPrefix(ce.File, p+"/") || damageRel(ce.File) == damageRel(p) ||
				(strings.ContainsAny(path.Base(p), ".-") && path.Base(ce.File) == path.Base(p)) {
				return true
			}
		}
		b := path.Base(p)
		if strings.Contains(msg, p) || (strings.ContainsAny(b, ".-") && strings.Contains(msg, b)) {
			return true
		}
		if num, _, ok := strings.Cut(b, "."); ok && len(num) >= 6 && containsNumber(msg, num) {
			return true
		}
	}
	return false
}

// containsNumber reports whether msg holds num not followed by a digit.
func containsNumber(msg, num string) bool {
	for i := 0; ; {
		j := strings.Index(msg[i:], num)
		if j < 0 {
			return false
		}
		end := i + j + len(num)
		if end == len(msg) || msg[end] < '0' || msg[end] > '9' {
			return true
		}
		i = end
	}
}

// corruptionErrors returns every *base.CorruptionError in err's tree.
func corruptionErrors(err error) []*base.CorruptionError {
	var out []*base.CorruptionError
	var walk func(error)
	walk = func(e error) {
		if ce, ok := e.(*base.CorruptionError); ok {
			out = append(out, ce)
		}
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			if x := u.Unwrap(); x != nil {
				walk(x)
			}
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x)
			}
		}
	}
	walk(err)
	return out
}

// damageTree is a directory tree: the content of every file and the set
// of directories.
type damageTree struct {
	files map[string]string
	dirs  map[string]bool
}

// damageTreeOf reads the tree under root (empty if root is missing).
func damageTreeOf(fs *vfs.MemFS, root string) (damageTree, error) {
	tr := damageTree{files: map[string]string{}, dirs: map[string]bool{}}
	var walk func(dir string) error
	walk = func(dir string) error {
		names, err := fs.List(dir)
		if err != nil {
			return err
		}
		tr.dirs[dir] = true
		for _, n := range names {
			p := path.Join(dir, n)
			fi, err := fs.Stat(p)
			if err != nil {
				return err
			}
			if fi.IsDir() {
				if err := walk(p); err != nil {
					return err
				}
				continue
			}
			data, err := fs.ReadFile(p)
			if err != nil {
				return err
			}
			tr.files[p] = string(data)
		}
		return nil
	}
	if _, err := fs.Stat(root); err != nil {
		return tr, nil
	}
	return tr, walk(root)
}

// diff lists how b differs from a.
func (a damageTree) diff(b damageTree) []string {
	var out []string
	for _, p := range slices.Sorted(maps.Keys(a.files)) {
		switch nb, ok := b.files[p]; {
		case !ok:
			out = append(out, "removed "+damageRel(p))
		case nb != a.files[p]:
			out = append(out, fmt.Sprintf("changed %s (%d -> %d bytes)", damageRel(p), len(a.files[p]), len(nb)))
		}
	}
	for _, p := range slices.Sorted(maps.Keys(b.files)) {
		if _, ok := a.files[p]; !ok {
			out = append(out, "created "+damageRel(p))
		}
	}
	for _, p := range slices.Sorted(maps.Keys(a.dirs)) {
		if !b.dirs[p] {
			out = append(out, "removed directory "+damageRel(p))
		}
	}
	for _, p := range slices.Sorted(maps.Keys(b.dirs)) {
		if !a.dirs[p] {
			out = append(out, "created directory "+damageRel(p))
		}
	}
	return out
}
