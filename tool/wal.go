package tool

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
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

When the file lies in the wal/ directory of a database whose manifest can be
read, dump also judges it as recovery does: a log the manifest records closed
must be exactly that file (its size and checksum), and after a clean close of
the database a log that holds records must end with its end record. A log
short of either lost its tail after it was durable: corruption, not a torn
tail.

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
	if err != nil && len(records) == 0 && (res.FileSize == 0 || header == (wal.Header{})) {
		// Unreadable, or no WAL header at all (a file that is not a
		// log): the error says which, and there is nothing to print.
		return err
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
		err = checkAgainstManifest(w, path, res)
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

// checkAgainstManifest judges the WAL at path, when it lies in the wal/
// directory of a database whose manifest can be read, by what the
// manifest requires of it (as recovery does, manifest.LogExpect): a log
// that lost its tail after it was closed, or after a clean close of the
// database, is corruption, not a torn tail. It prints what the manifest
// says:
//
//	manifest: database closed cleanly yes, recorded closed with 126 bytes, checksum 0x1a2b3c4d5e6f7081
func checkAgainstManifest(w io.Writer, path string, res wal.ReplayResult) error {
	num, ok := wal.ParseFileName(filepath.Base(path))
	walDir := filepath.Dir(path)
	if !ok || filepath.Base(walDir) != "wal" {
		return nil
	}
	mdir := filepath.Join(filepath.Dir(walDir), base.ManifestDir)
	cmp, err := parseComparer(recordedComparer(vfs.Default, mdir))
	if err != nil {
		cmp = tempest.DefaultComparer
	}
	m, err := manifest.OpenReadOnly(vfs.Default, mdir, cmp)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		fmt.Fprintf(w, "manifest: not consulted: %s\n", message(err))
		return nil
	}
	defer m.Close()
	e := m.LogExpect(num)
	fmt.Fprintf(w, "manifest: database closed cleanly %s", yesNo(m.WasCleanClose()))
	if e.Recorded {
		fmt.Fprintf(w, ", recorded closed with %d bytes, checksum %#016x\n", e.Final.Size, e.Final.Checksum)
	} else {
		fmt.Fprintf(w, ", not recorded closed\n")
	}
	return e.Check(path, res)
}

// printBatch prints the rest of a data record's line and its entries. It
// reports whether the batch decoded.
func printBatch(w io.Writer, payload []byte, isHex bool) bool {
	b, err := decodeBatch(payload)
	fmt.Fprintf(w, ": batch seq %d, %d entries\n", b.Seq, b.Count)
	for _, e := range b.Entries {
		switch e.Kind {
		case base.KindSet, base.KindMerge:
			fmt.Fprintf(w, "  %s %s %s\n", e.Kind, formatBytes(e.Key, isHex), formatBytes(e.Value, isHex))
		case base.KindRangeDelete:
			fmt.Fprintf(w, "  %s [%s, %s)\n", e.Kind, formatBytes(e.Key, isHex), formatBytes(e.Value, isHex))
		default:
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
