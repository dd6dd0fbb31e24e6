package tool

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/repair"
)

func newDBRepairCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "repair <src> <dst>",
		Short: "Build a new database at <dst> from everything readable in the damaged database at <src>",
		Long: `Repair reads the database at <src> without opening it and without writing to it
(not even a lock file): its SSTs block by block, its WALs record by record, and
what is readable of its manifest. It writes the newest state of every key it
finds to a new database at <dst>, which must not exist; <dst> appears only once
it is complete and checked.

It prints a report: each file and what was read from it, notes on damage that
lost nothing, and one "lost:" line for each part that could not be recovered,
with the file, the byte range, the keys that may have lost versions (a key in
that range may show an older version, or none, in <dst>), and the sequence
numbers of the lost writes where known. Every key outside those ranges has its
newest state in <dst>.

Exit status 0 if nothing was lost, 1 if anything was (the report says what) or
if the repair failed (then <dst> does not exist).`,
		Args: usageArgs(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDBRepair(g, args[0], args[1])
		},
	}
}

func runDBRepair(g *globals, src, dst string) error {
	opts := &repair.Options{Comparers: recordedComparerFunc}
	if g.comparer != comparerAuto {
		cmp, err := parseComparer(g.comparer)
		if err != nil {
			return err
		}
		opts.Comparer = cmp
	}
	rep, err := repair.Run(src, dst, opts)
	if err != nil {
		return err // it names the repair
	}
	if _, err := rep.WriteTo(g.stdout); err != nil {
		return err
	}
	if rep.Lost() {
		return &failure{msg: fmt.Sprintf("db repair: %s (listed above); %s holds everything else", plural(len(rep.Losses), "loss", "losses"), dst)}
	}
	return nil
}

// recordedComparerFunc resolves a comparer name recorded in a database.
func recordedComparerFunc(name string) (*tempest.Comparer, error) {
	cmp, err := parseComparer(name)
	var u *usageError
	if errors.As(err, &u) {
		return nil, fmt.Errorf("the database uses comparer %q, which this command does not know", name)
	}
	return cmp, err
}

// plural renders n with the singular or plural noun.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
