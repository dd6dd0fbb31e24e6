package tool

import (
	"github.com/spf13/cobra"
)

func newBenchReportCmd() *cobra.Command {
	var html string
	cmd := &cobra.Command{
		Use:   "report <run.json>",
		Short: "Draw the JSON report of a run (tempest bench --json) as an HTML page of charts",
		Long: `Report reads the JSON document that tempest bench --json printed (a
comparison, or a single engine's report) and writes, with --html, one
self-contained page: throughput over time and the latency distribution per
workload, one line per engine; Tempest's throughput ratio to each peer
against the 1.1× target; peak RSS and size on disk. See docs/bench-tool.md.`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if html == "" {
				return usagef("bench report: --html OUT.html is required")
			}
			c, err := readBenchJSON(args[0])
			if err != nil {
				return err
			}
			return writeBenchPicture(html, c)
		},
	}
	cmd.Flags().StringVar(&html, "html", "", "the HTML page to write")
	return cmd
}
