package tool

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/tempestdb/tempest"
)

func newDBCheckpointCmd(g *globals, dir *string) *cobra.Command {
	return &cobra.Command{
		Use:   "checkpoint DEST",
		Short: "Write an openable copy of the database, consistent at one token, to DEST",
		Long: `Checkpoint opens the database read-write (running recovery), writes a copy of
it to DEST (DB.Checkpoint) and prints the write token the copy is consistent
at. DEST must not exist; it never exists unless complete. SSTs are hard-linked
when DEST is on the same file system and copied otherwise.`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withDB(dbOpen{dir: *dir}, func(db *tempest.DB) error {
				tok, err := db.Checkpoint(args[0])
				if err != nil {
					return dbError(*dir, err)
				}
				_, err = fmt.Fprintf(g.stdout, "checkpoint %s: token %d\n", args[0], tok.SeqNum())
				return err
			})
		},
	}
}
