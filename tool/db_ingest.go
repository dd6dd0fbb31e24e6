package tool

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/tempestdb/tempest"
)

// newDBIngestCmd adds SSTs to the database (DB.Ingest).
func newDBIngestCmd(g *globals, dir *string) *cobra.Command {
	return &cobra.Command{
		Use:   "ingest FILE...",
		Short: "Add SSTs written for ingest (by db export, or sstable.Writer's Set) to the database",
		Long: `Ingest opens the database read-write (running recovery) and adds the SSTs,
all or nothing, at one new write token, which it prints (DB.Ingest). The
files are validated first (checksums, key order, comparer, no overlap
between them): a bad file changes nothing. They are hard-linked when on the
same file system and copied otherwise, never modified. The database must be
at format version 3 or later (db upgrade).`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withDB(dbOpen{dir: *dir}, func(db *tempest.DB) error {
				tok, err := db.Ingest(args)
				if errors.Is(err, tempest.ErrInvalidArgument) {
					return err // a file refused: the database is fine
				}
				if err != nil {
					return dbError(*dir, err)
				}
				_, err = fmt.Fprintf(g.stdout, "ingest: %d files, token %d\n", len(args), tok.SeqNum())
				return err
			})
		},
	}
}
