package tool

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/vfs"
)

// Exit codes of the tempest command.
const (
	// ExitOK: the command did what was asked.
	ExitOK = 0
	// ExitFailure: the command failed, found corruption, or the key was
	// not found.
	ExitFailure = 1
	// ExitUsage: bad flags or arguments.
	ExitUsage = 2
)

// usageError is a bad command line. It exits with ExitUsage.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// failure is an error whose details the command already printed (a check
// report, say): Main prints only its one-line summary.
type failure struct{ msg string }

func (e *failure) Error() string { return e.msg }

// exitCode maps a command's error to the process exit code.
func exitCode(err error) int {
	var u *usageError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &u):
		return ExitUsage
	}
	return ExitFailure
}

// message renders err as the single line Main prints after "tempest: ".
// The engine's error texts carry their own "tempest: " prefixes, which
// are dropped so that the line reads once; joined errors are put on one
// line.
func message(err error) string {
	msg := strings.ReplaceAll(err.Error(), "tempest: ", "")
	return strings.ReplaceAll(strings.TrimSpace(msg), "\n", "; ")
}

// dbError turns an error from opening or using the DB in dir into one
// that says what happened in the user's terms: the directory is in use,
// the DB is corrupt, or there is no DB.
func dbError(dir string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, tempest.ErrLocked):
		return fmt.Errorf("database at %s is locked: another process has it open%s", dir, lockHolder(err))
	case errors.Is(err, tempest.ErrCorruption):
		return fmt.Errorf("database at %s is corrupt: %w", dir, err)
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("database at %s: missing file: %w", dir, err)
	}
	return err
}

// usageArgs wraps a cobra argument validator so that its errors are
// usage errors.
func usageArgs(v cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := v(cmd, args); err != nil {
			return usagef("%s%v (see '%s --help')", commandPrefix(cmd), err, cmd.CommandPath())
		}
		return nil
	}
}

// commandPrefix is "put: " for "tempest put", "" for the root: Main
// already prints "tempest: ".
func commandPrefix(cmd *cobra.Command) string {
	if !cmd.HasParent() {
		return ""
	}
	return strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ") + ": "
}

// flagError makes flag parsing errors usage errors.
func flagError(cmd *cobra.Command, err error) error {
	return usagef("%s%v (see '%s --help')", commandPrefix(cmd), err, cmd.CommandPath())
}

// groupRun is the RunE of a command that only holds subcommands: called
// without one, or with an unknown one, it is a usage error.
func groupRun(cmd *cobra.Command, args []string) error {
	var names []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() {
			names = append(names, c.Name())
		}
	}
	if len(args) == 0 {
		return usagef("%smissing command, one of: %s (see '%s --help')",
			commandPrefix(cmd), strings.Join(names, ", "), cmd.CommandPath())
	}
	return usagef("%sunknown command %q, want one of: %s (see '%s --help')",
		commandPrefix(cmd), args[0], strings.Join(names, ", "), cmd.CommandPath())
}

// newGroup returns a command that holds subcommands.
func newGroup(use, short string, subs ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{Use: use, Short: short, Args: cobra.ArbitraryArgs, RunE: groupRun}
	c.AddCommand(subs...)
	return c
}

// lockHolder says how the holder of a lock has the database open, if the
// error tells: " read-only" or " read-write".
func lockHolder(err error) string {
	var le *vfs.LockedError
	switch {
	case !errors.As(err, &le):
		return ""
	case le.Shared:
		return " read-only"
	}
	return " read-write"
}
