package tool

import (
	"bufio"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/tempestdb/tempest"
)

// scanFlags are the flags of scan.
type scanFlags struct {
	dir          string
	lower, upper string
	prefix       string
	logical      bool
	reverse      bool
	limit        int
	isHex        bool
}

func newScanCmd(g *globals) *cobra.Command {
	var f scanFlags
	cmd := &cobra.Command{
		Use:   "scan",
		Short: "Print the keys and values in [--lower, --upper) with --prefix, one pair per line",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.limit < 0 {
				return usagef("--limit %d: must not be negative", f.limit)
			}
			lower, err := parseBound("--lower", f.lower, f.isHex)
			if err != nil {
				return err
			}
			upper, err := parseBound("--upper", f.upper, f.isHex)
			if err != nil {
				return err
			}
			prefix, err := parseBound("--prefix", f.prefix, f.isHex)
			if err != nil {
				return err
			}
			if f.logical && prefix == nil {
				return usagef("--logical needs --prefix")
			}
			o := &tempest.IterOptions{LowerBound: lower, UpperBound: upper, Prefix: prefix, LogicalPrefix: f.logical}
			return g.withDB(dbOpen{dir: f.dir, readOnly: true}, func(db *tempest.DB) error {
				return f.scan(g, db, o)
			})
		},
	}
	addDirFlag(cmd, &f.dir)
	fl := cmd.Flags()
	fl.StringVar(&f.lower, "lower", "", "first key (inclusive); default: the first key")
	fl.StringVar(&f.upper, "upper", "", "end key (exclusive); default: past the last key")
	fl.StringVar(&f.prefix, "prefix", "", "print only the keys that begin with these bytes")
	fl.BoolVar(&f.logical, "logical", false, "--prefix is one whole logical key (the comparer's prefix): print its newest version, skipping tables whose filters rule it out")
	fl.BoolVar(&f.reverse, "reverse", false, "scan from the last key down")
	fl.IntVar(&f.limit, "limit", 0, "print at most this many pairs (0: all)")
	fl.BoolVar(&f.isHex, "hex", false, "bounds and prefix are given, and keys and values printed, in hexadecimal")
	return cmd
}

// scan prints `key value` lines, each quoted (or hexadecimal).
func (f *scanFlags) scan(g *globals, db *tempest.DB, o *tempest.IterOptions) (err error) {
	it, err := db.NewIter(o)
	if err != nil {
		return dbError(f.dir, err)
	}
	defer func() {
		if cerr := it.Close(); err == nil && cerr != nil {
			err = dbError(f.dir, cerr)
		}
	}()
	w := bufio.NewWriter(g.stdout)
	n := 0
	step, valid := it.Next, it.First()
	if f.reverse {
		step, valid = it.Prev, it.Last()
	}
	for ; valid && (f.limit == 0 || n < f.limit); valid = step() {
		v, ok := formatMerged(g.mergerFlag(), it.Value(), f.isHex)
		if !ok {
			v = formatBytes(it.Value(), f.isHex)
		}
		fmt.Fprintf(w, "%s %s\n", formatBytes(it.Key(), f.isHex), v)
		n++
	}
	if err := it.Error(); err != nil {
		w.Flush()
		return dbError(f.dir, err)
	}
	return w.Flush()
}
