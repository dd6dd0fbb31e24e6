//go:build linux

package wal

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/vfs"
)

// The environment of TestMappedProcessCrash's child: the directory to
// write WAL 1 in, and whether to shrink the preallocation steps.
const (
	crashChildEnv      = "TEMPEST_WAL_CRASH_CHILD_DIR"
	crashChildSmallEnv = "TEMPEST_WAL_CRASH_CHILD_SMALL"
)

// crashPayload is the i-th record the child writes: 1 to 700 bytes, so
// records straddle pages (and, with small steps, preallocations).
func crashPayload(i int) []byte {
	p := fmt.Appendf(nil, "record %d;", i)
	return append(p, bytes.Repeat([]byte{byte(i)}, (i*37)%700)...)
}

// runCrashChild is the child process of TestMappedProcessCrash, when the
// environment names a directory: it writes records without ever syncing,
// printing "ack i" after record i is written, until it is killed.
func runCrashChild() {
	dir := os.Getenv(crashChildEnv)
	if dir == "" {
		return
	}
	var opts Options
	if os.Getenv(crashChildSmallEnv) != "" {
		opts.Preallocate = 64 << 10
	}
	w, err := Create(vfs.Default, dir, 1, opts)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	if !w.mapped() {
		fmt.Println("error: the writer did not map the file")
		os.Exit(2)
	}
	out := bufio.NewWriter(os.Stdout)
	for i := 0; ; i++ {
		if err := w.WriteRecords(crashPayload(i)); err != nil {
			fmt.Fprintln(out, "error", err)
			out.Flush()
			os.Exit(3)
		}
		fmt.Fprintln(out, "ack", i)
		out.Flush()
	}
}

// TestMappedProcessCrash runs a child process that writes records through
// the mapped path with no sync, and kills it with SIGKILL after a random
// number of acknowledgements. Every record the child acknowledged is in
// the page cache, so recovery must return all of them, in order, and
// nothing but a prefix of what the child wrote.
func TestMappedProcessCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	rng := newRand(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for round := range 6 {
		dir := t.TempDir()
		small := round%2 == 1
		killAt := rng.IntN(20000)
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
		if small {
			cmd.Env = append(cmd.Env, crashChildSmallEnv+"=1")
		}
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lastAck, failure := -1, ""
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			n, err := strconv.Atoi(strings.TrimPrefix(line, "ack "))
			if err != nil || !strings.HasPrefix(line, "ack ") {
				failure = line
				continue
			}
			lastAck = n
			if n == killAt {
				// Acks already in the pipe are still read below.
				_ = cmd.Process.Kill()
			}
		}
		_ = cmd.Wait()
		if failure != "" {
			t.Fatalf("round %d: child: %s", round, failure)
		}
		if lastAck < killAt {
			t.Fatalf("round %d: child stopped at ack %d before it was killed", round, lastAck)
		}
		r := replayDir(vfs.Default, dir, 1)
		if r.err != nil {
			t.Fatalf("round %d: %v", round, r.err)
		}
		if len(r.payloads) <= lastAck {
			t.Fatalf("round %d (small=%t): replayed %d records, child acknowledged %d", round, small, len(r.payloads), lastAck+1)
		}
		for i, p := range r.payloads {
			if !bytes.Equal(p, crashPayload(i)) {
				t.Fatalf("round %d: record %d differs", round, i)
			}
		}
		if r.res.CleanClose {
			t.Fatalf("round %d: a killed writer's log ended cleanly", round)
		}
		t.Logf("round %d (small=%t): killed after ack %d, replayed %d records, %d-byte file",
			round, small, lastAck, len(r.payloads), r.res.FileSize)
	}
}
