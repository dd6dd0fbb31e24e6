package tool

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/sstable"
)

// versionText is what `tempest version` and `tempest --version` print:
// the module's version (and VCS revision, when the build records one),
// the Go version, and the formats this binary reads and writes.
func versionText() string {
	version, revision, goVersion := "(devel)", "", "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		goVersion = bi.GoVersion
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				revision = s.Value
			}
		}
	}
	if revision != "" {
		version += " (" + revision + ")"
	}
	return fmt.Sprintf("tempest %s, %s\ndatabase format versions: %d to %d (new databases: %d)\nsstable format versions: up to %d\n",
		version, goVersion, tempest.FormatVersion1, tempest.FormatNewest, tempest.FormatNewest, sstable.FormatVersion)
}

func newVersionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version and the format versions this binary knows",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprint(g.stdout, versionText())
			return err
		},
	}
}
