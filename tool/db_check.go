package tool

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/spf13/cobra"
	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/vfs"
)

func newDBCheckCmd(g *globals, dir *string) *cobra.Command {
	return &cobra.Command{
		Use:   "check",
		Short: "Verify the database: recovery, level invariants, every SST block and whole-file checksum",
		Long: `Check opens the database read-only (the WAL is replayed into memory, and
nothing in the directory changes), then verifies the level invariants and, for
every live SST, that what it says about itself (file number, bounds, seqnums,
counts) matches the manifest, every block's checksum and its keys' order, and
the checksum of the whole file against the one the manifest recorded. Tables
written before whole-file checksums were recorded (SST format 3 and older) are
counted in a note line.

A clean database prints "ok: N files, M keys checked" (M counts every entry of
the SSTs, overwritten versions and tombstones included) and exits 0. Otherwise
each problem is printed on its own line, naming the file, and check exits 1;
this includes a database that cannot be opened because it is corrupt.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDBCheck(g, *dir)
		},
	}
}

func runDBCheck(g *globals, dir string) error {
	if err := requireDB(dir); err != nil {
		return err
	}
	cmp, err := dbComparer(g.comparer, dir)
	if err != nil {
		return err
	}
	merger, err := dbMerger(g.merger, dir)
	if err != nil {
		return err
	}
	var read atomic.Int64
	db, err := tempest.Open(dir, &tempest.Options{Comparer: cmp, Merger: merger, ReadOnly: true,
		FS: countingFS{FS: vfs.Default, read: &read}})
	if errors.Is(err, tempest.ErrCorruption) {
		return reportProblems(g.stdout, dir, "open", err)
	}
	if err != nil {
		return dbError(dir, err)
	}
	err = checkOpenDB(g, db, dir, cmp, &read)
	if cerr := db.Close(); cerr != nil && err == nil {
		err = dbError(dir, fmt.Errorf("close: %w", cerr))
	}
	return err
}

func checkOpenDB(g *globals, db *tempest.DB, dir string, cmp *tempest.Comparer, read *atomic.Int64) error {
	lsm, err := db.LSM()
	if err != nil {
		return dbError(dir, err)
	}
	var files []tempest.FileInfo
	var total int64
	for _, level := range lsm {
		for _, f := range level {
			files = append(files, f)
			total += 2 * int64(f.Size) // block by block, then whole for its checksum
		}
	}
	read.Store(0)
	prog := g.startProgress("check", total, read)
	err = db.Check()
	prog.finish(err == nil)
	if err != nil {
		return reportProblems(g.stdout, dir, "check", err)
	}
	var keys uint64
	var unsummed int // tables older than whole-file checksums
	for _, f := range files {
		p, err := tableProperties(sstPath(dir, f.FileNum), cmp)
		if err != nil {
			return reportProblems(g.stdout, dir, "check", err)
		}
		keys += p.EntryCount
		if p.FormatVersion < 4 {
			unsummed++
		}
	}
	if unsummed > 0 {
		fmt.Fprintf(g.stdout, "note: %d files of SST format 3 or older have no whole-file checksum: checked block by block\n", unsummed)
	}
	_, err = fmt.Fprintf(g.stdout, "ok: %d files, %d keys checked\n", len(files), keys)
	return err
}

// reportProblems prints each problem joined in err on its own line and
// returns the one-line summary.
func reportProblems(w io.Writer, dir, stage string, err error) error {
	problems := splitJoined(err)
	bw := bufio.NewWriter(w)
	for _, p := range problems {
		fmt.Fprintf(bw, "%s: %s\n", stage, message(p))
	}
	if ferr := bw.Flush(); ferr != nil {
		return ferr
	}
	noun := "problems"
	if len(problems) == 1 {
		noun = "problem"
	}
	return &failure{msg: fmt.Sprintf("db check: %d %s found in %s (corrupt database)", len(problems), noun, dir)}
}

// splitJoined lists the errors joined in err (errors.Join), recursively.
func splitJoined(err error) []error {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, splitJoined(e)...)
	}
	return out
}

// sstPath is the path of SST num in the database in dir.
func sstPath(dir string, num uint64) string {
	return vfs.Default.PathJoin(dir, base.SSTDir, base.MakeFilename(base.FileTypeSST, base.FileNum(num)))
}
