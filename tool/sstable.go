package tool

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/sstable"
	"github.com/tempestdb/tempest/vfs"
)

func newSSTableCmd(g *globals) *cobra.Command {
	return newGroup("sstable", "Inspect SST files (use --comparer for tables not in bytewise order)",
		newSSTableDumpCmd(g), newSSTableCheckCmd(g), newSSTablePropertiesCmd(g))
}

// openSSTable opens the table at path read-only.
func openSSTable(path string, cmp *tempest.Comparer) (*sstable.Reader, error) {
	if err := requireFile(path); err != nil {
		return nil, err
	}
	f, err := vfs.Default.Open(path)
	if err != nil {
		return nil, err
	}
	size, err := f.Size()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("size of %s: %w", path, err)
	}
	r, err := sstable.Open(f, size, sstable.ReaderOptions{Comparer: cmp, FileName: path})
	if errors.Is(err, tempest.ErrInvalidArgument) {
		return nil, fmt.Errorf("%w (choose the table's comparer with --comparer)", err)
	}
	return r, err
}

// withSSTable opens the table at path, runs fn and closes the table.
func withSSTable(path string, cmp *tempest.Comparer, fn func(r *sstable.Reader) error) error {
	r, err := openSSTable(path, cmp)
	if err != nil {
		return err
	}
	err = fn(r)
	if cerr := r.Close(); err == nil {
		err = cerr
	}
	return err
}

// sstableRunE returns the RunE of an sstable subcommand: it resolves
// --comparer and opens the table named by the argument.
func sstableRunE(g *globals, fn func(path string, r *sstable.Reader, cmp *tempest.Comparer) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		cmp, err := sstableComparer(g.comparer)
		if err != nil {
			return err
		}
		return withSSTable(args[0], cmp, func(r *sstable.Reader) error { return fn(args[0], r, cmp) })
	}
}

// tableProperties returns the properties of the table at path.
func tableProperties(path string, cmp *tempest.Comparer) (sstable.Properties, error) {
	var p sstable.Properties
	err := withSSTable(path, cmp, func(r *sstable.Reader) error {
		p = r.Properties()
		return nil
	})
	return p, err
}

func newSSTableDumpCmd(g *globals) *cobra.Command {
	var isHex bool
	cmd := &cobra.Command{
		Use:   "dump <file>",
		Short: "Print every entry of an SST: key, seqnum, kind and value",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: sstableRunE(g, func(_ string, r *sstable.Reader, cmp *tempest.Comparer) error {
			return dumpSSTable(g.stdout, r, cmp, isHex)
		}),
	}
	cmd.Flags().BoolVar(&isHex, "hex", false, "print keys and values in hexadecimal")
	return cmd
}

// dumpSSTable prints one line per entry:
//
//	"key" #16,SET "value"
//	"gone" #17,DEL
func dumpSSTable(out io.Writer, r *sstable.Reader, cmp *tempest.Comparer, isHex bool) (err error) {
	w := bufio.NewWriter(out)
	it := r.NewIter()
	defer func() {
		if cerr := it.Close(); err == nil {
			err = cerr
		}
	}()
	n := 0
	for _, t := range r.RangeDels() {
		fmt.Fprintf(w, "[%s, %s) %s\n", formatKey(cmp, t.Start, isHex), formatKey(cmp, t.End, isHex),
			formatTrailer(base.MakeTrailer(t.Seq, base.KindRangeDelete)))
	}
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		fmt.Fprintf(w, "%s %s", formatKey(cmp, k.UserKey, isHex), formatTrailer(k.Trailer))
		if k.Kind() == base.KindSet || k.Kind() == base.KindMerge {
			fmt.Fprintf(w, " %s", formatBytes(it.Value(), isHex))
		}
		w.WriteByte('\n')
		n++
	}
	if err := it.Error(); err != nil {
		w.Flush()
		return err
	}
	fmt.Fprintf(w, "%d entries\n", n)
	return w.Flush()
}

// formatKey renders a user key with the comparer's formatter (which shows
// a version suffix apart), or in hexadecimal.
func formatKey(cmp *tempest.Comparer, key []byte, isHex bool) string {
	if isHex {
		return formatBytes(key, true)
	}
	return cmp.Format(key)
}

// formatTrailer renders a trailer as "#seqnum,KIND".
func formatTrailer(t base.Trailer) string {
	return fmt.Sprintf("#%d,%s", uint64(t.SeqNum()), t.Kind())
}

func newSSTableCheckCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "check <file>",
		Short: "Verify every block checksum and the key order of an SST",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: sstableRunE(g, func(path string, r *sstable.Reader, _ *tempest.Comparer) error {
			if err := r.VerifyChecksums(); err != nil {
				return err
			}
			p := r.Properties()
			_, err := fmt.Fprintf(g.stdout, "ok: %s: %d entries in %d data blocks checked\n",
				path, p.EntryCount, p.DataBlockCount)
			return err
		}),
	}
}

func newSSTablePropertiesCmd(g *globals) *cobra.Command {
	var isHex bool
	cmd := &cobra.Command{
		Use:   "properties <file>",
		Short: "Print the properties block of an SST",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: sstableRunE(g, func(_ string, r *sstable.Reader, cmp *tempest.Comparer) error {
			return printProperties(g.stdout, r.Properties(), cmp, isHex)
		}),
	}
	cmd.Flags().BoolVar(&isHex, "hex", false, "print keys in hexadecimal")
	return cmd
}

func printProperties(out io.Writer, p sstable.Properties, cmp *tempest.Comparer, isHex bool) error {
	w := bufio.NewWriter(out)
	key := func(k base.InternalKey) string {
		if p.EntryCount == 0 && p.RangeDelCount == 0 {
			return "-"
		}
		return formatKey(cmp, k.UserKey, isHex) + " " + formatTrailer(k.Trailer)
	}
	fmt.Fprintf(w, "format version:  %d\n", p.FormatVersion)
	if p.FormatVersion >= 4 {
		fmt.Fprintf(w, "file number:     %s\n", p.FileNum)
	}
	fmt.Fprintf(w, "comparer:        %s\n", p.ComparerName)
	fmt.Fprintf(w, "entries:         %d\n", p.EntryCount)
	fmt.Fprintf(w, "deletions:       %d\n", p.DeletionCount)
	fmt.Fprintf(w, "range deletions: %d\n", p.RangeDelCount)
	fmt.Fprintf(w, "data blocks:     %d\n", p.DataBlockCount)
	fmt.Fprintf(w, "smallest key:    %s\n", key(p.Smallest))
	fmt.Fprintf(w, "largest key:     %s\n", key(p.Largest))
	fmt.Fprintf(w, "seqnums:         [%d, %d]\n", uint64(p.SmallestSeq), uint64(p.LargestSeq))
	fmt.Fprintf(w, "raw key bytes:   %d\n", p.RawKeySize)
	fmt.Fprintf(w, "raw value bytes: %d\n", p.RawValueSize)
	return w.Flush()
}
