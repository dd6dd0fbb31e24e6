package tool

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/tempestdb/tempest"
)

// newDBUpgradeCmd ratchets the database's format version
// (DB.RatchetFormatVersion).
func newDBUpgradeCmd(g *globals, dir *string) *cobra.Command {
	var to uint32
	cmd := &cobra.Command{
		Use:   "upgrade",
		Short: "Raise the database's format version (binaries that do not know the new version no longer open it)",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withDB(dbOpen{dir: *dir}, func(db *tempest.DB) error {
				from := db.FormatVersion()
				if err := db.RatchetFormatVersion(to); err != nil {
					return dbError(*dir, err)
				}
				_, err := fmt.Fprintf(g.stdout, "format version %d -> %d\n", from, db.FormatVersion())
				return err
			})
		},
	}
	cmd.Flags().Uint32Var(&to, "to", tempest.FormatNewest, "the format version to raise the database to")
	return cmd
}
