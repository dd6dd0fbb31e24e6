// Package tool implements the tempest command's subcommands, so that other
// programs can embed them.
package tool

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// New returns the root command.
func New(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "tempest",
		Short:         "Inspect, check and exercise Tempest databases",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newDemoCmd())
	return root
}

// Main runs the command line args and returns the process exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	root := New(stdout, stderr)
	root.SetArgs(args)
	if err := root.Execute(); err != nil {
		fmt.Fprintln(stderr, "tempest:", err)
		return 1
	}
	return 0
}
