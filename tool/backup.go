package tool

import (
	"bufio"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/backup"
)

// newBackupCmd is the backup group: incremental physical backups in a
// repository directory (package backup).
func newBackupCmd(g *globals) *cobra.Command {
	var repo string
	cmd := newGroup("backup", "Keep incremental physical backups of a database in a repository",
		newBackupCreateCmd(g, &repo), newBackupListCmd(g, &repo), newBackupVerifyCmd(g, &repo),
		newBackupRestoreCmd(g, &repo), newBackupPurgeCmd(&repo))
	cmd.PersistentFlags().StringVar(&repo, "repo", "", "backup repository directory (required)")
	return cmd
}

// withBackupProgress runs fn with backup options whose progress goes to
// a report named name of total bytes (0: unknown) on standard error.
func (g *globals) withBackupProgress(name string, total int64, fn func(o backup.Options) error) error {
	prog := g.startProgress(name, total, nil)
	err := fn(backup.Options{Progress: prog.Add})
	prog.finish(err == nil)
	return err
}

// backupBytes returns the size of backup id of repo, or 0 if List cannot
// tell (the command then reports the error).
func backupBytes(repo string, id uint64) int64 {
	list, _ := backup.List(repo)
	for _, in := range list {
		if in.ID == id {
			return in.Bytes
		}
	}
	return 0
}

// needRepo requires --repo.
func needRepo(cmd *cobra.Command, repo string) error {
	if repo == "" {
		return usagef("%s--repo is required (see '%s --help')", commandPrefix(cmd), cmd.CommandPath())
	}
	return nil
}

func newBackupCreateCmd(g *globals, repo *string) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Back up the database at --dir into --repo and print the new backup's ID",
		Long: `Create opens the database read-write (running recovery), takes a checkpoint
into the repository and stores it as a new backup: SSTs already in the
repository (same name, size and checksum) are shared, not stored again. It
prints the new backup's ID.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := needRepo(cmd, *repo); err != nil {
				return err
			}
			return g.withDB(dbOpen{dir: dir}, func(db *tempest.DB) error {
				var in backup.Info
				err := g.withBackupProgress("backup", 0, func(o backup.Options) (err error) {
					in, err = o.Create(db, *repo)
					return err
				})
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(g.stdout, "%d\n", in.ID)
				if err == nil {
					_, err = fmt.Fprintf(g.stderr, "backup %d: token %d, %d files, %s, %s stored\n",
						in.ID, in.Seq, in.Files, humanBytes(in.Bytes), humanBytes(in.StoredBytes))
				}
				return err
			})
		},
	}
	addDirFlag(cmd, &dir)
	return cmd
}

func newBackupListCmd(g *globals, repo *string) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the backups in --repo, oldest first",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := needRepo(cmd, *repo); err != nil {
				return err
			}
			list, err := backup.List(*repo)
			if err != nil {
				return err
			}
			w := bufio.NewWriter(g.stdout)
			fmt.Fprintf(w, "%-6s %-25s %12s %6s %10s\n", "ID", "TIME", "TOKEN", "FILES", "SIZE")
			for _, in := range list {
				fmt.Fprintf(w, "%-6d %-25s %12d %6d %10s\n", in.ID, in.Time.UTC().Format(time.RFC3339),
					in.Seq, in.Files, humanBytes(in.Bytes))
			}
			return w.Flush()
		},
	}
}

func newBackupVerifyCmd(g *globals, repo *string) *cobra.Command {
	var id uint64
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check every file of backup --id against its recorded size and checksum",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := needRepo(cmd, *repo); err != nil {
				return err
			}
			return g.withBackupProgress("verify", backupBytes(*repo, id), func(o backup.Options) error {
				return o.Verify(*repo, id)
			})
		},
	}
	cmd.Flags().Uint64Var(&id, "id", 0, "backup ID")
	return cmd
}

func newBackupRestoreCmd(g *globals, repo *string) *cobra.Command {
	var id uint64
	var to string
	cmd := &cobra.Command{
		Use:   "restore",
		Short: "Restore backup --id to the new directory --to, checking every file",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := needRepo(cmd, *repo); err != nil {
				return err
			}
			if to == "" {
				return usagef("%s--to is required (see '%s --help')", commandPrefix(cmd), cmd.CommandPath())
			}
			return g.withBackupProgress("restore", backupBytes(*repo, id), func(o backup.Options) error {
				return o.Restore(*repo, id, to)
			})
		},
	}
	cmd.Flags().Uint64Var(&id, "id", 0, "backup ID")
	cmd.Flags().StringVar(&to, "to", "", "destination directory; must not exist")
	return cmd
}

func newBackupPurgeCmd(repo *string) *cobra.Command {
	var keep int
	cmd := &cobra.Command{
		Use:   "purge",
		Short: "Delete all but the --keep newest backups and the files no remaining backup uses",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := needRepo(cmd, *repo); err != nil {
				return err
			}
			if keep < 0 {
				return usagef("%s--keep is required (see '%s --help')", commandPrefix(cmd), cmd.CommandPath())
			}
			return backup.Purge(*repo, keep)
		},
	}
	cmd.Flags().IntVar(&keep, "keep", -1, "number of newest backups to keep (required)")
	return cmd
}
