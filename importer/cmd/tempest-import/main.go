// Command tempest-import copies a goleveldb, Pebble or Badger database
// into a Tempest DB:
//
//	tempest-import --from goleveldb|pebble|badger SRC --dir DEST [--verify]
//
// It reads SRC with its engine's own library (read-only), writes its live
// keys as sorted SSTs and ingests them into DEST (created if absent) in
// one atomic step, then reports keys per second. With --verify it reads
// both again and compares them key by key. See package importer.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/importer"
	"golang.org/x/term"
)

func main() {
	if err := newCommand(os.Stdout, os.Stderr).Execute(); err != nil {
		os.Exit(1)
	}
}

type flags struct {
	from, dir, progress string
	verify              bool
	targetFileSize      int64
}

func newCommand(stdout, stderr io.Writer) *cobra.Command {
	var f flags
	c := &cobra.Command{
		Use:   "tempest-import --from ENGINE SRC --dir DEST",
		Short: "Copy a goleveldb, Pebble or Badger database into a Tempest DB",
		Long: `tempest-import reads SRC, a database of ENGINE (goleveldb, pebble or badger),
with that engine's own library, opened read-only. It writes the newest live
value of every key as sorted SSTs beside DEST and ingests them into the
Tempest DB in DEST (created if absent) in one atomic step: after a crash
DEST holds all of SRC or none of it. Keys already in DEST that SRC also
holds take SRC's values; others stay.

--verify then reads SRC and DEST side by side and compares them key by key
(exactly, when DEST was empty before the import).`,
		Args:          cobra.ExactArgs(1),
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			err := run(f, args[0], stdout, stderr)
			if err != nil {
				fmt.Fprintln(stderr, "tempest-import:", err)
			}
			return err
		},
	}
	fl := c.Flags()
	fl.StringVar(&f.from, "from", "", "the source's engine: "+strings.Join(importer.Kinds, ", "))
	fl.StringVar(&f.dir, "dir", "", "the Tempest DB to import into")
	fl.BoolVar(&f.verify, "verify", false, "compare SRC and DEST key by key after the import")
	fl.Int64Var(&f.targetFileSize, "target-file-size", 64<<20, "bytes of keys and values per SST")
	fl.StringVar(&f.progress, "progress", "auto", "progress report: auto (a bar on a terminal, else lines), bar, lines or off")
	_ = c.MarkFlagRequired("from")
	_ = c.MarkFlagRequired("dir")
	return c
}

func run(f flags, srcDir string, stdout, stderr io.Writer) error {
	switch f.progress {
	case "auto", "bar", "lines", "off":
	default:
		return fmt.Errorf("--progress %q: want auto, bar, lines or off", f.progress)
	}
	src, err := importer.Open(f.from, srcDir)
	if err != nil {
		return err
	}
	defer src.Close()
	db, err := tempest.Open(f.dir, nil)
	if err != nil {
		return err
	}
	wasEmpty, err := isEmpty(db)
	if err == nil {
		err = importInto(f, src, db, stdout, stderr)
	}
	if err == nil && f.verify {
		err = verify(src, db, wasEmpty, stdout)
	}
	return errors.Join(err, db.Close())
}

func importInto(f flags, src importer.Source, db *tempest.DB, stdout, stderr io.Writer) error {
	var keys, bytes atomic.Int64
	p := startProgress(f.progress, stderr, &keys, &bytes)
	res, err := importer.Import(src, db, f.dir, importer.Options{
		TargetFileSize: f.targetFileSize, Keys: &keys, Bytes: &bytes,
	})
	p.finish(err == nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "imported %d keys (%.1f MiB of keys and values) from %s in %v: %.0f keys/s; %d SSTs ingested at %v\n",
		res.Keys, float64(res.Bytes)/(1<<20), f.from, res.Elapsed.Round(time.Millisecond), res.KeysPerSecond(), res.Files, res.Token)
	return nil
}

func verify(src importer.Source, db *tempest.DB, exact bool, stdout io.Writer) error {
	start := time.Now()
	n, err := importer.Verify(src, db, exact)
	if err != nil {
		return err
	}
	how := "every source key is in DEST with its value"
	if exact {
		how = "DEST equals SRC"
	}
	fmt.Fprintf(stdout, "verified %d keys in %v: %s\n", n, time.Since(start).Round(time.Millisecond), how)
	return nil
}

func isEmpty(db *tempest.DB) (bool, error) {
	it, err := db.NewIter(nil)
	if err != nil {
		return false, err
	}
	empty := !it.First()
	return empty, errors.Join(it.Error(), it.Close())
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
