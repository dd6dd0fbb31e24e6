package tool

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/tempestdb/tempest"
)

// newDBExportCmd writes a key range as SSTs for ingest (DB.Export).
func newDBExportCmd(g *globals, dir *string) *cobra.Command {
	var lower, upper string
	var isHex bool
	cmd := &cobra.Command{
		Use:   "export DEST",
		Short: "Write the live pairs of [--lower, --upper) as SSTs for ingest to DEST",
		Long: `Export opens the database read-only and writes the live pairs of
[--lower, --upper), as of one snapshot, as SSTs in DEST (DB.Export), ready
for db ingest here or in another database with the same comparer. DEST must
not exist; it never exists unless complete. It prints the number of files,
then each file's path, one a line.`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			lo, err := parseBound("--lower", lower, isHex)
			if err != nil {
				return err
			}
			hi, err := parseBound("--upper", upper, isHex)
			if err != nil {
				return err
			}
			return g.withDB(dbOpen{dir: *dir, readOnly: true}, func(db *tempest.DB) error {
				paths, err := db.Export(lo, hi, args[0])
				if err != nil {
					return dbError(*dir, err)
				}
				if _, err := fmt.Fprintf(g.stdout, "export %s: %d files\n", args[0], len(paths)); err != nil {
					return err
				}
				for _, p := range paths {
					if _, err := fmt.Fprintln(g.stdout, p); err != nil {
						return err
					}
				}
				return nil
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&lower, "lower", "", "first key (inclusive); default: the first key")
	fl.StringVar(&upper, "upper", "", "end key (exclusive); default: past the last key")
	fl.BoolVar(&isHex, "hex", false, "--lower and --upper are hexadecimal")
	return cmd
}
