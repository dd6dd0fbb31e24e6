package tool

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
	"github.com/tempestdb/tempest/journal"
	"github.com/tempestdb/tempest/vfs"
)

// The --comparer flag names the key order: "bytewise", "fixed-suffix:N"
// (tempest.FixedSuffixComparer(N)), or the name a database or SST records
// ("tempest.bytewise", "tempest.fixed-suffix-desc.N"). Its default,
// "auto", means the comparer recorded in the database's manifest for
// database commands (bytewise for a new database), and bytewise for the
// sstable commands.
const comparerAuto = "auto"

// maxSuffixLen bounds N in fixed-suffix:N.
const maxSuffixLen = 1 << 10

// parseComparer returns the comparer a flag value or recorded name names.
func parseComparer(s string) (*tempest.Comparer, error) {
	switch s {
	case "bytewise", tempest.DefaultComparer.Name:
		return tempest.DefaultComparer, nil
	}
	var digits string
	if d, ok := strings.CutPrefix(s, "fixed-suffix:"); ok {
		digits = d
	} else if d, ok := strings.CutPrefix(s, "tempest.fixed-suffix-desc."); ok {
		digits = d
	} else {
		return nil, usagef("unknown comparer %q: want bytewise or fixed-suffix:N", s)
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n < 1 || n > maxSuffixLen {
		return nil, usagef("comparer %q: suffix length must be a number in [1, %d]", s, maxSuffixLen)
	}
	return tempest.FixedSuffixComparer(n), nil
}

// dbComparer resolves the --comparer flag for the database in dir.
func dbComparer(flag, dir string) (*tempest.Comparer, error) {
	if flag != comparerAuto {
		return parseComparer(flag)
	}
	name := recordedComparer(vfs.Default, vfs.Default.PathJoin(dir, base.ManifestDir))
	if name == "" {
		return tempest.DefaultComparer, nil
	}
	c, err := parseComparer(name)
	if err != nil {
		return nil, fmt.Errorf("database at %s uses comparer %q, which this command does not know", dir, name)
	}
	return c, nil
}

// sstableComparer resolves the --comparer flag for the sstable commands.
func sstableComparer(flag string) (*tempest.Comparer, error) {
	if flag == comparerAuto {
		return tempest.DefaultComparer, nil
	}
	return parseComparer(flag)
}

// recordedComparer returns the comparer name recorded in the manifest
// journal in dir, read without changing anything, or "" if none is found.
func recordedComparer(fsys vfs.FS, dir string) string {
	return recordedName(fsys, dir, func(e *manifest.Edit) string { return e.ComparerName })
}

// recordedName returns the newest non-empty name that field reads from
// the edits of the manifest journal in dir, read without changing
// anything, or "" if there is none. The newest journal file that records
// one wins: a rotated file starts with a snapshot edit that names it.
func recordedName(fsys vfs.FS, dir string, field func(*manifest.Edit) string) string {
	files, err := manifestFiles(fsys, dir)
	if err != nil {
		return ""
	}
	for i := len(files) - 1; i >= 0; i-- {
		_, edits, _ := journal.ReadFile(fsys, files[i].path, manifest.Codec{})
		for j := len(edits) - 1; j >= 0; j-- {
			if name := field(edits[j]); name != "" {
				return name
			}
		}
	}
	return ""
}
