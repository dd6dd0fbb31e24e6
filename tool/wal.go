package tool

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/vfs"
	"github.com/tempestdb/tempest/wal"
)

func newWALCmd(g *globals) *cobra.Command {
	return newGroup("wal", "Inspect write-ahead log files", newWALDumpCmd(g))
}

func newWALDumpCmd(g *globals) *cobra.Command {
	var isHex bool
	cmd := &cobra.Command{
		Use:   "dump <file>",
		Short: "Print every record of a WAL file, its batches decoded, and what recovery would keep",
		Long: `Dump reads a WAL file as recovery does (without changing it) and prints each
valid record: its offset, type, the synced offset it carries, and for a data
record the batch it holds (sequence number, then one line per entry). It ends
with the replay result: the number of data records, whether the log was
closed cleanly, and whether a torn tail (the unsynced end of a crashed
process, which recovery drops) follows the last valid record.

Exit status 1 if the file is corrupt (damage that recovery reports as an
error) or a record holds a malformed batch; the records before the damage are
printed first.`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return dumpWAL(g.stdout, args[0], isHex)
		},
	}
	cmd.Flags().BoolVar(&isHex, "hex", false, "print keys and values in hexadecimal")
	return cmd
}

// dumpWAL prints:
//
//	file 000005.log: header file number 000005
//	offset 16: data, synced 16, 33 bytes: batch seq 16, 2 entries
//	  SET "k" "v"
//	  DEL "old"
//	offset 70: end, synced 70, next 000000
//	replay: 1 data records, clean close yes, next 000000, valid 99 of 99 bytes, torn tail no
func dumpWAL(out io.Writer, path string, isHex bool) error {
	if err := requireFile(path); err != nil {
		return err
	}
	header, records, res, err := wal.ReadAll(vfs.Default, path)
	if err != nil && len(records) == 0 && res.FileSize == 0 {
		return err // the file could not be read at all
	}
	w := bufio.NewWriter(out)
	fmt.Fprintf(w, "file %s: %d bytes, header file number %s\n", path, res.FileSize, header.Num)
	bad := 0
	for _, r := range records {
		fmt.Fprintf(w, "offset %d: %s, synced %d, %d bytes", r.Offset, r.Type, r.Synced, len(r.Payload))
		switch r.Type {
		case wal.RecordEnd:
			fmt.Fprintf(w, ", next %s\n", base.FileNum(binary.LittleEndian.Uint64(r.Payload)))
		case wal.RecordData:
			if !printBatch(w, r.Payload, isHex) {
				bad++
			}
		default:
			fmt.Fprintln(w)
		}
	}
	if err == nil {
		fmt.Fprintf(w, "replay: %d data records, clean close %s, next %s, valid %d of %d bytes, torn tail %s\n",
			res.Records, yesNo(res.CleanClose), res.Next, res.ValidSize, res.FileSize, yesNo(res.TornTail))
	}
	if ferr := w.Flush(); ferr != nil {
		return ferr
	}
	switch {
	case err != nil:
		return fmt.Errorf("wal dump: %w", err)
	case bad > 0:
		return fmt.Errorf("wal dump: %s: %d records hold malformed batches", path, bad)
	}
	return nil
}

// printBatch prints the rest of a data record's line and its entries. It
// reports whether the batch decoded.
func printBatch(w io.Writer, payload []byte, isHex bool) bool {
	b, err := decodeBatch(payload)
	fmt.Fprintf(w, ": batch seq %d, %d entries\n", b.Seq, b.Count)
	for _, e := range b.Entries {
		if e.Kind == base.KindSet {
			fmt.Fprintf(w, "  %s %s %s\n", e.Kind, formatBytes(e.Key, isHex), formatBytes(e.Value, isHex))
		} else {
			fmt.Fprintf(w, "  %s %s\n", e.Kind, formatBytes(e.Key, isHex))
		}
	}
	if err != nil {
		fmt.Fprintf(w, "  malformed batch: %v\n", err)
		return false
	}
	return true
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
