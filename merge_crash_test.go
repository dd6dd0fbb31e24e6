//go:build unix

package tempest

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const mergeCrashChildEnv = "TEMPEST_MERGE_CRASH_CHILD_DIR"

// mergeCrashOptions are the options of the merge crash test's database:
// small memtables, so that the counter's operands go through flushes and
// compactions while the child runs.
func mergeCrashOptions() *Options {
	return &Options{MemTableSize: MinMemTableSize, L0CompactionThreshold: 2, Merger: Uint64AddMerger}
}

// mergeCrashChildMain is the child process of TestMergeCounterProcessCrash:
// it adds 1 to the counter with synced DB.Merge calls forever, printing
// "try n" before the n-th call and "ack n" after it returns.
func mergeCrashChildMain() {
	d, err := Open(os.Getenv(mergeCrashChildEnv), mergeCrashOptions())
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	w := bufio.NewWriter(os.Stdout)
	for n := 1; ; n++ {
		fmt.Fprintln(w, "try", n)
		w.Flush()
		if err := d.Merge([]byte("counter"), u64(1), Sync); err != nil {
			fmt.Fprintln(w, "error", err)
			w.Flush()
			os.Exit(3)
		}
		fmt.Fprintln(w, "ack", n)
		w.Flush()
	}
}

// TestMergeCounterProcessCrash kills a real process that increments a
// counter with synced merges, with SIGKILL at random moments, 8 times
// over one database. After each kill the reopened counter holds every
// acknowledged increment and no more than were attempted.
func TestMergeCounterProcessCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	seed := testSeed(t)
	rng := newRand(seed)
	dir := t.TempDir()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var value uint64 // the counter after the last round
	for round := range 8 {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), mergeCrashChildEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		acked, tried := 0, 0
		done := make(chan struct{})
		go func() {
			defer close(done)
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				word, num, _ := strings.Cut(sc.Text(), " ")
				n, _ := strconv.Atoi(num)
				switch word {
				case "try":
					tried = n
				case "ack":
					acked = n
				default:
					t.Errorf("child: %s", sc.Text())
				}
			}
		}()
		time.Sleep(time.Duration(30+rng.IntN(150)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		<-done
		cmd.Wait()

		d, err := Open(dir, mergeCrashOptions())
		if err != nil {
			t.Fatalf("round %d: reopen after SIGKILL: %v", round, err)
		}
		// A child killed before its first merge leaves no counter: the
		// count is then 0, which the bounds below judge.
		var got uint64
		_, err = d.Get([]byte("counter"))
		found := !errors.Is(err, ErrNotFound)
		if found {
			got = getU64(t, d.Get, "counter")
		}
		it, err := d.NewIter(nil)
		if err != nil {
			t.Fatal(err)
		}
		if it.Last() != found || (found && (string(it.Key()) != "counter" || getLE(it.Value()) != got)) {
			t.Fatalf("round %d: iterator reads %q=%x (err %v), Get %d", round, it.Key(), it.Value(), it.Error(), got)
		}
		it.Close()
		if got < value+uint64(acked) || got > value+uint64(tried) {
			t.Fatalf("round %d: counter %d after %d, with %d increments acknowledged and %d attempted",
				round, got, value, acked, tried)
		}
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
		t.Logf("round %d: counter %d (+%d: %d acknowledged, %d attempted)", round, got, got-value, acked, tried)
		value = got
	}
	if value == 0 {
		t.Fatal("no increment was acknowledged in any round")
	}
}
