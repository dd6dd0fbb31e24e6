package tool

import (
	"bufio"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/tempestdb/tempest"
)

func newDBCmd(g *globals) *cobra.Command {
	var dir string
	cmd := newGroup("db", "Inspect and check a database",
		newDBCheckCmd(g, &dir), newDBMetricsCmd(g, &dir), newDBLSMCmd(g, &dir), newDBRepairCmd(g),
		newDBCheckpointCmd(g, &dir), newDBUpgradeCmd(g, &dir), newDBExportCmd(g, &dir), newDBIngestCmd(g, &dir))
	addDirFlag(cmd, &dir)
	return cmd
}

func newDBMetricsCmd(g *globals, dir *string) *cobra.Command {
	return &cobra.Command{
		Use:   "metrics",
		Short: "Print the database's metrics (per-level table, memtables, WAL)",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withDB(dbOpen{dir: *dir, readOnly: true}, func(db *tempest.DB) error {
				_, err := fmt.Fprintf(g.stdout, "format version: %d\n%s", db.FormatVersion(), db.Metrics().String())
				return err
			})
		},
	}
}

func newDBLSMCmd(g *globals, dir *string) *cobra.Command {
	var isHex bool
	var htmlOut string
	cmd := &cobra.Command{
		Use:   "lsm",
		Short: "Print the shape of the LSM tree: every SST by level (--html: a picture of its history)",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if htmlOut != "" {
				return writeLSMPicture(*dir, htmlOut)
			}
			return g.withDB(dbOpen{dir: *dir, readOnly: true}, func(db *tempest.DB) error {
				lsm, err := db.LSM()
				if err != nil {
					return dbError(*dir, err)
				}
				return printLSM(g, lsm, isHex)
			})
		},
	}
	cmd.Flags().BoolVar(&isHex, "hex", false, "print keys in hexadecimal")
	cmd.Flags().StringVar(&htmlOut, "html", "", "write an HTML page of the tree's history, read from the manifest without the database's lock, to this file")
	return cmd
}

// printLSM prints one line per level and one per file:
//
//	L0: 2 files, 1.2 MiB
//	  000012  612.0 KiB  keys ["a", "m"]  seqs [16, 9000]
func printLSM(g *globals, lsm [tempest.NumLevels][]tempest.FileInfo, isHex bool) error {
	w := bufio.NewWriter(g.stdout)
	var files int
	var size uint64
	for level, fs := range lsm {
		var n uint64
		for _, f := range fs {
			n += f.Size
		}
		files += len(fs)
		size += n
		if len(fs) == 0 {
			continue
		}
		fmt.Fprintf(w, "L%d: %d files, %s\n", level, len(fs), humanBytes(int64(n)))
		for _, f := range fs {
			fmt.Fprintf(w, "  %06d  %10s  keys [%s, %s]  seqs [%d, %d]\n", f.FileNum, humanBytes(int64(f.Size)),
				formatBytes(f.Smallest, isHex), formatBytes(f.Largest, isHex), f.MinSeq, f.MaxSeq)
		}
	}
	fmt.Fprintf(w, "total: %d files, %s\n", files, humanBytes(int64(size)))
	return w.Flush()
}
