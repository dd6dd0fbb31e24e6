package tool

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
	"github.com/tempestdb/tempest/journal"
	"github.com/tempestdb/tempest/vfs"
)

func newManifestCmd(g *globals) *cobra.Command {
	return newGroup("manifest", "Inspect a database's manifest", newManifestDumpCmd(g))
}

func newManifestDumpCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "dump <dir>",
		Short: "Print every edit of every manifest journal file of the database in <dir>",
		Long: `Dump lists the manifest journal files (<dir>/manifest/manifest-NNNNNN; <dir>
may also be the manifest directory itself) and prints each file's edits in
order, without changing anything. Normally one file exists; more remain
after a crash during a rotation, and the newest with a valid header is the
one the database uses. A torn tail (an edit whose append a crash cut short)
is reported and is not an error; damage elsewhere is, with exit status 1.`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return dumpManifest(g.stdout, args[0])
		},
	}
}

// manifestFile is one manifest journal file.
type manifestFile struct {
	num  uint64
	path string
}

// manifestFiles lists the manifest journal files in dir, oldest first.
// Names that do not follow the journal's pattern exactly are skipped, as
// the journal itself skips them.
func manifestFiles(fsys vfs.FS, dir string) ([]manifestFile, error) {
	names, err := fsys.List(dir)
	if err != nil {
		return nil, err
	}
	var files []manifestFile
	for _, name := range names {
		digits, ok := strings.CutPrefix(name, manifest.FilePrefix+"-")
		if !ok || len(digits) < 6 || strings.Trim(digits, "0123456789") != "" {
			continue
		}
		n, err := strconv.ParseUint(digits, 10, 64)
		if err != nil || fmt.Sprintf("%s-%06d", manifest.FilePrefix, n) != name {
			continue
		}
		files = append(files, manifestFile{num: n, path: fsys.PathJoin(dir, name)})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].num < files[j].num })
	return files, nil
}

// manifestDir returns the manifest directory of the database in dir, or
// dir itself if it is one.
func manifestDir(dir string) (string, error) {
	sub := vfs.Default.PathJoin(dir, base.ManifestDir)
	if info, err := os.Stat(sub); err == nil && info.IsDir() {
		return sub, nil
	}
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("no database at %s", dir)
	} else if err != nil {
		return "", err
	}
	files, err := manifestFiles(vfs.Default, dir)
	if err != nil {
		return "", err
	}
	if len(files) == 0 {
		return "", fmt.Errorf("no database at %s: no manifest files in %s or %s", dir, sub, dir)
	}
	return dir, nil
}

// dumpManifest prints:
//
//	manifest-000001: header file number 1, 2 edits (in use)
//	  edit 0: {comparer="tempest.bytewise"; next-file=000001; last-seq=#15}
//	  edit 1: {next-file=001001; last-seq=#1048591}
//
// Like the journal's Open, it takes the newest file with a valid header as
// the one in use: newer files with invalid headers are rotations that
// never completed, and older files are leftovers. Only damage to the file
// in use, or the absence of any valid header, is an error.
func dumpManifest(out io.Writer, dir string) error {
	mdir, err := manifestDir(dir)
	if err != nil {
		return err
	}
	files, err := manifestFiles(vfs.Default, mdir)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no manifest files in %s", mdir)
	}
	inUse := -1
	for i, f := range files {
		if validJournalHeader(f.path, f.num) {
			inUse = i
		}
	}
	w := bufio.NewWriter(out)
	var problem error
	for i, f := range files {
		name := f.path[len(mdir)+1:]
		if i != inUse && !validJournalHeader(f.path, f.num) {
			fmt.Fprintf(w, "%s: invalid header, ignored by the database (an incomplete rotation or a leftover)\n", name)
			continue
		}
		header, edits, err := journal.ReadFile(vfs.Default, f.path, manifest.Codec{})
		state := "(in use)"
		if i != inUse {
			state = "(superseded)"
		}
		fmt.Fprintf(w, "%s: header file number %d, %d edits %s\n", name, header.FileNum, len(edits), state)
		for j, e := range edits {
			fmt.Fprintf(w, "  edit %d: %s\n", j, e)
		}
		switch {
		case err == nil:
		case errors.Is(err, journal.ErrTornTail):
			fmt.Fprintf(w, "  torn tail (dropped by recovery): %s\n", message(err))
		default:
			fmt.Fprintf(w, "  damaged: %s\n", message(err))
			if i == inUse {
				problem = err
			}
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if inUse < 0 {
		return fmt.Errorf("manifest dump: corrupt manifest: no file in %s has a valid header", mdir)
	}
	if problem != nil {
		return fmt.Errorf("manifest dump: corrupt manifest: %w", problem)
	}
	return nil
}

// validJournalHeader reports whether the journal file at path starts with
// a valid header naming num (journal.DecodeHeader: either framing's
// magic, num, and the CRC-64/Jones of the first 16 bytes).
func validJournalHeader(path string, num uint64) bool {
	f, err := vfs.Default.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var b [journal.HeaderSize]byte
	if n, _ := f.ReadAt(b[:], 0); n < len(b) {
		return false
	}
	h, err := journal.DecodeHeader(path, b[:])
	return err == nil && h.FileNum == num
}
