// Package tool implements the tempest command's subcommands, so that other
// programs can embed them. docs/cli.md describes every command.
package tool

import (
	"fmt"
	"io"
	"sync/atomic"

	"github.com/spf13/cobra"
)

// globals are the root command's persistent flags and streams.
type globals struct {
	comparer string
	merger   string
	progress string
	stdout   io.Writer
	stderr   io.Writer
}

// startProgress starts a progress report on standard error (see
// startProgress).
func (g *globals) startProgress(name string, total int64, done *atomic.Int64) *progress {
	return startProgress(g.progress, g.stderr, name, total, done)
}

// New returns the root command.
func New(stdout, stderr io.Writer) *cobra.Command {
	g := &globals{stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:           "tempest",
		Short:         "Use, inspect and check Tempest databases",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.ArbitraryArgs,
		RunE:          groupRun,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if g.comparer != comparerAuto {
				if _, err := parseComparer(g.comparer); err != nil {
					return err
				}
			}
			if _, err := parseMerger(g.merger); err != nil {
				return err
			}
			return checkProgressMode(g.progress)
		},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(flagError)
	pf := root.PersistentFlags()
	pf.StringVar(&g.comparer, "comparer", comparerAuto, "key order: auto, bytewise or fixed-suffix:N")
	pf.StringVar(&g.merger, "merger", "", "merge operator of the database: uint64add, or none (see merge)")
	pf.StringVar(&g.progress, "progress", progressAuto, "progress display on stderr: auto, bar, lines or off")
	root.AddCommand(
		newPutCmd(g), newGetCmd(g), newDeleteCmd(g), newMergeCmd(g), newScanCmd(g),
		newLoadCmd(g), newDumpCmd(g),
		newDBCmd(g), newBackupCmd(g), newSSTableCmd(g), newWALCmd(g), newManifestCmd(g),
		newDemoCmd(), newBenchCmd(), newVersionCmd(g), newServeCmd(),
	)
	root.Version = "-" // any: the template prints versionText
	root.SetVersionTemplate(versionText())
	return root
}

// Main runs the command line args and returns the process exit code:
// ExitOK, ExitFailure or ExitUsage. Errors are printed to stderr as one
// line, "tempest: <message>".
func Main(args []string, stdout, stderr io.Writer) int {
	root := New(stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	if err != nil {
		fmt.Fprintln(stderr, "tempest:", message(err))
	}
	return exitCode(err)
}
