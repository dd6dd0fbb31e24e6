package tool

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/tempestdb/tempest"
)

// kvFlags are the flags of put, get and delete.
type kvFlags struct {
	dir   string
	isHex bool
}

func (f *kvFlags) add(cmd *cobra.Command) {
	addDirFlag(cmd, &f.dir)
	cmd.Flags().BoolVar(&f.isHex, "hex", false, "keys and values are hexadecimal")
}

func newPutCmd(g *globals) *cobra.Command {
	var f kvFlags
	cmd := &cobra.Command{
		Use:   "put <key> <value>",
		Short: "Set key to value (durably), creating the database if needed",
		Args:  usageArgs(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			key, err := parseBytes("key", args[0], f.isHex)
			if err != nil {
				return err
			}
			value, err := parseBytes("value", args[1], f.isHex)
			if err != nil {
				return err
			}
			return g.withDB(dbOpen{dir: f.dir, create: true}, func(db *tempest.DB) error {
				return db.Set(key, value, tempest.Sync)
			})
		},
	}
	f.add(cmd)
	return cmd
}

func newGetCmd(g *globals) *cobra.Command {
	var f kvFlags
	cmd := &cobra.Command{
		Use:   "get <key>",
		Short: "Print the value of key (exit 1 if it is absent)",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			key, err := parseBytes("key", args[0], f.isHex)
			if err != nil {
				return err
			}
			return g.withDB(dbOpen{dir: f.dir, readOnly: true}, func(db *tempest.DB) error {
				v, err := db.Get(key)
				if errors.Is(err, tempest.ErrNotFound) {
					return fmt.Errorf("key %s not found", formatBytes(key, f.isHex))
				}
				if err != nil {
					return dbError(f.dir, err)
				}
				if s, ok := formatMerged(g.mergerFlag(), v, f.isHex); ok {
					_, err = fmt.Fprintln(g.stdout, s)
				} else if f.isHex {
					_, err = fmt.Fprintln(g.stdout, formatBytes(v, true))
				} else {
					_, err = fmt.Fprintf(g.stdout, "%s\n", v)
				}
				return err
			})
		},
	}
	f.add(cmd)
	return cmd
}

func newDeleteCmd(g *globals) *cobra.Command {
	var f kvFlags
	cmd := &cobra.Command{
		Use:   "delete <key>",
		Short: "Delete key (durably); deleting an absent key is not an error",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			key, err := parseBytes("key", args[0], f.isHex)
			if err != nil {
				return err
			}
			return g.withDB(dbOpen{dir: f.dir}, func(db *tempest.DB) error {
				return db.Delete(key, tempest.Sync)
			})
		},
	}
	f.add(cmd)
	return cmd
}
