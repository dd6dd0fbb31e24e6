package tool

import (
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/internal/manifest"
	"github.com/tempestdb/tempest/vfs"
)

// The --merger flag names the database's merge operator: "" (none) or
// "uint64add" (tempest.Uint64AddMerger, also accepted by its recorded
// name). A database that records a merger opens only with it, so every
// command that opens one needs the flag; without it the command fails
// naming the flag to give.
const mergerUint64Add = "uint64add"

// parseMerger returns the merger a flag value names (nil for "").
func parseMerger(s string) (*tempest.Merger, error) {
	switch s {
	case "":
		return nil, nil
	case mergerUint64Add, tempest.Uint64AddMerger.Name:
		return tempest.Uint64AddMerger, nil
	}
	return nil, usagef("unknown merger %q: want %s", s, mergerUint64Add)
}

// dbMerger resolves the --merger flag for the database in dir: a database
// that records a merger needs the flag.
func dbMerger(flag, dir string) (*tempest.Merger, error) {
	m, err := parseMerger(flag)
	if err != nil || m != nil {
		return m, err
	}
	if name := recordedMerger(vfs.Default, vfs.Default.PathJoin(dir, "manifest")); name != "" {
		hint := ""
		if name == tempest.Uint64AddMerger.Name {
			hint = ": give --merger " + mergerUint64Add
		}
		return nil, fmt.Errorf("database at %s uses merger %q%s", dir, name, hint)
	}
	return nil, nil
}

// recordedMerger returns the merger name recorded in the manifest journal
// in dir, read without changing anything, or "" if none is found.
func recordedMerger(fsys vfs.FS, dir string) string {
	return recordedName(fsys, dir, func(e *manifest.Edit) string { return e.MergerName })
}

// mergerFlag returns the merger --merger names; the root command checked
// the flag.
func (g *globals) mergerFlag() *tempest.Merger {
	m, _ := parseMerger(g.merger)
	return m
}

// parseOperand reads a merge operand: for uint64add a decimal unsigned
// integer (encoded as 8 little-endian bytes), or the operand's bytes with
// --hex.
func parseOperand(m *tempest.Merger, s string, isHex bool) ([]byte, error) {
	if isHex || m != tempest.Uint64AddMerger {
		return parseBytes("operand", s, isHex)
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return nil, usagef("operand %q: want a decimal integer in [0, 2^64) for %s", s, mergerUint64Add)
	}
	return binary.LittleEndian.AppendUint64(nil, n), nil
}

// formatMerged renders a value read under merger m: under uint64add an
// 8-byte value is printed as its decimal counter (unless hex is asked).
func formatMerged(m *tempest.Merger, v []byte, isHex bool) (string, bool) {
	if m == tempest.Uint64AddMerger && !isHex && len(v) == 8 {
		return strconv.FormatUint(binary.LittleEndian.Uint64(v), 10), true
	}
	return "", false
}

func newMergeCmd(g *globals) *cobra.Command {
	var f kvFlags
	cmd := &cobra.Command{
		Use:   "merge <key> <operand>",
		Short: "Add a merge operand to key (durably) under --merger, creating the database if needed",
		Long: `Add a merge operand to key, durably, creating the database if needed.
--merger is required: uint64add adds unsigned 64-bit counters, and its
operand is a decimal integer (stored as 8 little-endian bytes; with --hex,
the operand's bytes in hexadecimal). get and scan with --merger uint64add
print counters in decimal. A database that has used a merger must be
opened with it by every command.`,
		Args: usageArgs(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := parseMerger(g.merger)
			if err != nil {
				return err
			}
			if m == nil {
				return usagef("merge needs --merger %s", mergerUint64Add)
			}
			key, err := parseBytes("key", args[0], f.isHex)
			if err != nil {
				return err
			}
			operand, err := parseOperand(m, args[1], f.isHex)
			if err != nil {
				return err
			}
			return g.withDB(dbOpen{dir: f.dir, create: true}, func(db *tempest.DB) error {
				return dbError(f.dir, db.Merge(key, operand, tempest.Sync))
			})
		},
	}
	f.add(cmd)
	return cmd
}
