package repair

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
	"github.com/tempestdb/tempest/internal/rangedel"
	"github.com/tempestdb/tempest/sstable"
	"github.com/tempestdb/tempest/vfs"
	"github.com/tempestdb/tempest/wal"
)

// Options configure Run.
type Options struct {
	// FS is the file system of both databases. Default: vfs.Default.
	FS vfs.FS
	// Comparer is the key order of SRC. Default: the comparer the
	// manifest records, resolved by Comparers, or DefaultComparer if no
	// manifest records one. An SST written with another comparer is
	// reported lost.
	Comparer *base.Comparer
	// Comparers resolves a comparer name recorded in the manifest when
	// Comparer is nil. Default: only base.DefaultComparer is known.
	Comparers func(name string) (*base.Comparer, error)
	// Output, if set, configures the output database; Run sets its FS and
	// Comparer. Default: the engine's defaults, with keys up to
	// tempest.MaxKeySizeLimit.
	Output *tempest.Options
}

// run is one repair in progress.
type run struct {
	fs                          vfs.FS
	src, dst                    string
	sstDir, walDir, manifestDir string
	cmp                         *base.Comparer
	ms                          *manifestState
	outOpts                     *tempest.Options // nil: defaults
	rep                         *Report
	dels                        []rangedel.Tombstone // from every source
	unknown                     []string
}

// Run builds a new database at dst from everything readable in the
// database at src (see the package documentation). It never writes to
// src. The report says what was read, written and lost; Report.Lost is
// false only when nothing was. An error means that no repair was made
// (bad arguments, dst exists, or a failure to read a directory of src or
// to write dst) and dst does not exist.
func Run(src, dst string, opts *Options) (*Report, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.FS == nil {
		o.FS = vfs.Default
	}
	if err := checkDirs(o.FS, src, dst); err != nil {
		return nil, err
	}
	r := &run{
		fs: o.FS, src: src, dst: dst,
		sstDir:      o.FS.PathJoin(src, base.SSTDir),
		walDir:      o.FS.PathJoin(src, base.WALDir),
		manifestDir: o.FS.PathJoin(src, base.ManifestDir),
		rep:         &Report{Src: src, Dst: dst},
		outOpts:     o.Output,
	}
	var notes []string
	r.ms, notes = readManifest(r.fs, r.manifestDir)
	r.rep.Notes = append(r.rep.Notes, notes...)
	r.rep.Manifest = r.ms.report
	cmp, err := chooseComparer(&o, r.ms.comparerName)
	if err != nil {
		return nil, err
	}
	r.cmp, r.rep.Comparer, r.rep.cmp = cmp, cmp.Name, cmp
	if err := r.repair(); err != nil {
		return nil, err
	}
	r.sortReport()
	return r.rep, nil
}

// checkDirs checks that src is a directory and that dst does not exist
// and does not lie within src.
func checkDirs(fs vfs.FS, src, dst string) error {
	info, err := fs.Stat(src)
	switch {
	case err != nil:
		return fmt.Errorf("repair: source %s: %w", src, err)
	case !info.IsDir():
		return base.InvalidArgumentf("repair: source %s is not a directory", src)
	}
	found := false
	for _, sub := range []string{base.SSTDir, base.WALDir, base.ManifestDir} {
		if info, err := fs.Stat(fs.PathJoin(src, sub)); err == nil && info.IsDir() {
			found = true
		}
	}
	if !found {
		return fmt.Errorf("repair: no database at %s: it has no sst, wal or manifest directory", src)
	}
	if _, err := fs.Stat(dst); err == nil {
		return base.InvalidArgumentf("repair: %s exists; the output must be a new directory", dst)
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	as, err1 := filepath.Abs(src)
	ad, err2 := filepath.Abs(dst)
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	if rel, err := filepath.Rel(as, ad); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return base.InvalidArgumentf("repair: the output %s lies within the source %s, which repair never writes to", dst, src)
	}
	return nil
}

// chooseComparer picks the key order: the one given, else the one the
// manifest names.
func chooseComparer(o *Options, recorded string) (*base.Comparer, error) {
	if o.Comparer != nil {
		if recorded != "" && recorded != o.Comparer.Name {
			return nil, base.InvalidArgumentf("repair: the database uses comparer %q, not %q", recorded, o.Comparer.Name)
		}
		return o.Comparer, nil
	}
	switch {
	case recorded == "" || recorded == base.DefaultComparer.Name:
		return base.DefaultComparer, nil
	case o.Comparers == nil:
		return nil, base.InvalidArgumentf("repair: the database uses comparer %q, which is not known here", recorded)
	}
	return o.Comparers(recorded)
}

// repair reads every source, merges it into the output and finishes it.
func (r *run) repair() (err error) {
	srcs, err := r.openSSTs()
	defer func() {
		for _, s := range srcs {
			_ = s.close()
		}
	}()
	if err != nil {
		return err
	}
	walEntries, err := r.readWALs()
	if err != nil {
		return err
	}
	r.noteUnknown()
	out, err := createOutput(r.fs, r.dst, r.outOpts, r.cmp, r.tooLarge)
	if err != nil {
		return err
	}
	sources := []source{newWALIter(walEntries)}
	for _, s := range srcs {
		sources = append(sources, s.it)
	}
	blobs := newBlobFiles(r.fs, r.sstDir)
	res := &resolver{cmp: r.cmp, dels: rangedel.Build(r.cmp, r.dels), out: out, rep: r.rep, blobs: blobs}
	err = res.run(newMergeHeap(r.cmp, sources))
	err = errors.Join(err, blobs.close())
	for _, s := range srcs {
		err = errors.Join(err, r.finishSST(s))
	}
	if err == nil {
		err = out.finish()
	}
	if err != nil {
		return errors.Join(err, out.abort())
	}
	return nil
}

// tooLarge reports an entry the output refused.
func (r *run) tooLarge(key []byte, err error) {
	r.lose(Loss{File: r.dst, Offset: -1, End: -1, What: "entry too large for the output",
		Smallest: key, Largest: key, HasSmallest: true, HasLargest: true, Reason: err.Error()})
}

// listFiles lists the files of dir whose names parse, sorted by number; a
// missing directory has none. Other names are noted.
func (r *run) listFiles(dir string, parse func(string) (base.FileNum, bool)) ([]base.FileNum, error) {
	names, err := r.fs.List(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("repair: listing %s: %w", dir, err)
	}
	var nums []base.FileNum
	for _, name := range names {
		if n, ok := parse(name); ok {
			nums = append(nums, n)
		} else if !isBlobFile(name) {
			r.unknown = append(r.unknown, r.fs.PathJoin(dir, name))
		}
	}
	slices.Sort(nums)
	return nums, nil
}

// noteUnknown notes the files that are neither SSTs nor WALs.
func (r *run) noteUnknown() {
	for _, p := range r.unknown {
		r.note("%s: not a file of the database, ignored", p)
	}
}

func (r *run) sstPath(num base.FileNum) string { return r.fs.PathJoin(r.sstDir, sstable.FileName(num)) }
func (r *run) walPath(num base.FileNum) string { return r.fs.PathJoin(r.walDir, wal.FileName(num)) }

// lose records a loss.
func (r *run) lose(l Loss) { r.rep.Losses = append(r.rep.Losses, l) }

// note records a note.
func (r *run) note(format string, args ...any) {
	r.rep.Notes = append(r.rep.Notes, fmt.Sprintf(format, args...))
}

// fileMissing records a file that should exist and does not, and its
// loss, bounded by its manifest record for an SST.
func (r *run) fileMissing(kind string, num base.FileNum, path, why string) {
	r.rep.Files = append(r.rep.Files, FileReport{Kind: kind, Num: num, Path: path, Status: "missing: " + why})
	l := Loss{File: path, Offset: -1, End: -1, What: "whole file", Reason: "missing: " + why}
	if kind == "sst" {
		withFileBounds(&l, r.ms.live[num])
	}
	r.lose(l)
}

// sortReport orders the files (SSTs, then WALs, by number) and the losses
// (by file and offset).
func (r *run) sortReport() {
	sort.SliceStable(r.rep.Files, func(i, j int) bool {
		a, b := &r.rep.Files[i], &r.rep.Files[j]
		if a.Kind != b.Kind {
			return a.Kind == "sst"
		}
		return a.Num < b.Num
	})
	sort.SliceStable(r.rep.Losses, func(i, j int) bool {
		a, b := &r.rep.Losses[i], &r.rep.Losses[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Offset < b.Offset
	})
}

// sortedFiles returns the files of live by number.
func sortedFiles(live map[base.FileNum]*manifest.FileMetadata) []*manifest.FileMetadata {
	files := make([]*manifest.FileMetadata, 0, len(live))
	for _, f := range live {
		files = append(files, f)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].FileNum < files[j].FileNum })
	return files
}
