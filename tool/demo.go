package tool

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/tempestdb/tempest"
)

func newDemoCmd() *cobra.Command {
	var dir string
	var n int
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Write keys, restart the database, read them back and scan",
		RunE: func(cmd *cobra.Command, args []string) error {
			if dir == "" {
				d, err := os.MkdirTemp("", "tempest-demo-")
				if err != nil {
					return err
				}
				defer os.RemoveAll(d)
				dir = d
			}
			return runDemo(cmd, dir, n)
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "database directory (default: a temporary one)")
	cmd.Flags().IntVar(&n, "num", 200_000, "number of keys to write")
	return cmd
}

func runDemo(cmd *cobra.Command, dir string, n int) error {
	out := cmd.OutOrStdout()
	db, err := tempest.Open(dir, &tempest.Options{MemTableSize: 4 << 20})
	if err != nil {
		return err
	}
	start := time.Now()
	b := db.NewBatch()
	for i := range n {
		b.Set(fmt.Appendf(nil, "key%09d", i), fmt.Appendf(nil, "value-%d", i))
		if b.Count() == 1000 || i == n-1 {
			if _, err := db.Apply(b, tempest.NoSync); err != nil {
				db.Close()
				return err
			}
			b.Reset()
		}
	}
	tok, err := db.Apply(db.NewBatch(), tempest.Sync)
	if err != nil {
		db.Close()
		return err
	}
	fmt.Fprintf(out, "wrote %d keys in %v (last %s)\n", n, time.Since(start).Round(time.Millisecond), tok)
	if err := db.Close(); err != nil {
		return err
	}

	start = time.Now()
	db, err = tempest.Open(dir, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Fprintf(out, "reopened in %v\n", time.Since(start).Round(time.Millisecond))
	start = time.Now()
	for i := 0; i < n; i += max(1, n/1000) {
		v, err := db.Get(fmt.Appendf(nil, "key%09d", i))
		if err != nil {
			return fmt.Errorf("key %d after restart: %w", i, err)
		}
		if string(v) != fmt.Sprintf("value-%d", i) {
			return fmt.Errorf("key %d after restart: got %q", i, v)
		}
	}
	count := 0
	for _, err := range db.All(nil, nil) {
		if err != nil {
			return err
		}
		count++
	}
	if count != n {
		return fmt.Errorf("scan found %d keys, want %d", count, n)
	}
	fmt.Fprintf(out, "read back and scanned %d keys in %v: all present\n", count, time.Since(start).Round(time.Millisecond))
	return nil
}
