package tool

import (
	"bufio"
	"sync/atomic"

	"github.com/spf13/cobra"
	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/vfs"
)

// dumpFlags are the flags of dump.
type dumpFlags struct {
	dir          string
	lower, upper string
	isHex        bool
	format       string
}

func newDumpCmd(g *globals) *cobra.Command {
	var f dumpFlags
	cmd := &cobra.Command{
		Use:   "dump",
		Short: "Write the pairs in [--lower, --upper) to stdout in the interchange format",
		Long: `Dump writes every live key/value pair in key order, one per line, in the
interchange format that load reads:

  json (default):  {"k":"<hex key>","v":"<hex value>"}
  hex:             <hex key> <hex value>

dump | load round-trips any keys and values exactly.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(f.format); err != nil {
				return err
			}
			lower, err := parseBound("--lower", f.lower, f.isHex)
			if err != nil {
				return err
			}
			upper, err := parseBound("--upper", f.upper, f.isHex)
			if err != nil {
				return err
			}
			var read atomic.Int64
			o := dbOpen{dir: f.dir, readOnly: true, fs: countingFS{FS: vfs.Default, read: &read}}
			return g.withDB(o, func(db *tempest.DB) error {
				return f.dump(g, db, lower, upper, &read)
			})
		},
	}
	addDirFlag(cmd, &f.dir)
	fl := cmd.Flags()
	fl.StringVar(&f.lower, "lower", "", "first key (inclusive); default: the first key")
	fl.StringVar(&f.upper, "upper", "", "end key (exclusive); default: past the last key")
	fl.BoolVar(&f.isHex, "hex", false, "--lower and --upper are hexadecimal")
	fl.StringVar(&f.format, "format", formatJSON, "output format: json or hex")
	return cmd
}

// dump writes the pairs, reporting progress as the bytes of SSTs read.
func (f *dumpFlags) dump(g *globals, db *tempest.DB, lower, upper []byte, read *atomic.Int64) (err error) {
	total, err := sstBytes(db)
	if err != nil {
		return dbError(f.dir, err)
	}
	read.Store(0)
	mode := g.progress
	if mode == progressAuto && isTerminal(g.stdout) {
		mode = progressOff // the pairs scrolling by show the progress
	}
	prog := startProgress(mode, g.stderr, "dump", total, read)
	defer func() { prog.finish(err == nil) }()
	w := bufio.NewWriterSize(g.stdout, 1<<20)
	var line []byte
	for kv, err := range db.All(lower, upper) {
		if err != nil {
			w.Flush()
			return dbError(f.dir, err)
		}
		line = appendPair(line[:0], f.format, kv.Key, kv.Value)
		if _, err := w.Write(line); err != nil {
			return err
		}
	}
	return w.Flush()
}

// sstBytes is the total size of the database's live SSTs.
func sstBytes(db *tempest.DB) (int64, error) {
	lsm, err := db.LSM()
	if err != nil {
		return 0, err
	}
	var n int64
	for _, files := range lsm {
		for _, f := range files {
			n += int64(f.Size)
		}
	}
	return n, nil
}
