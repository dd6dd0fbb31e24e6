//go:build unix

package tempest

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const crashChildEnv = "TEMPEST_CRASH_CHILD_DIR"

// crashChildMain is the child process of TestProcessCrash: it writes
// synced batches forever, key n with value n, starting after the keys the
// database already holds, and prints "ack n" after each acknowledgement.
func crashChildMain() {
	dir := os.Getenv(crashChildEnv)
	d, err := Open(dir, &Options{MemTableSize: 256 << 10})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	start := 0
	for {
		if _, err := d.Get(crashKey(start)); err != nil {
			break
		}
		start++
	}
	w := bufio.NewWriter(os.Stdout)
	for n := start; ; n++ {
		b := d.NewBatch()
		b.Set(crashKey(n), []byte(strconv.Itoa(n)))
		// A second entry in the same batch checks atomicity.
		b.Set(append(crashKey(n), '+'), []byte(strconv.Itoa(n)))
		if _, err := d.Apply(b, Sync); err != nil {
			fmt.Fprintln(w, "error", err)
			w.Flush()
			os.Exit(3)
		}
		fmt.Fprintln(w, "ack", n)
		w.Flush()
	}
}

func crashKey(n int) []byte { return fmt.Appendf(nil, "key%08d", n) }

// TestProcessCrash kills a real writer process with SIGKILL at random
// moments, 20 times over one database. After each kill the database must
// reopen with every acknowledged batch present, whole, and nothing beyond
// a contiguous prefix of the keys.
func TestProcessCrash(t *testing.T) {
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
	lastAck := -1
	for round := range 20 {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		acks := make(chan int, 1<<16)
		go func() {
			defer close(acks)
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				line := sc.Text()
				if n, ok := strings.CutPrefix(line, "ack "); ok {
					v, _ := strconv.Atoi(n)
					acks <- v
				} else {
					t.Errorf("child: %s", line)
				}
			}
		}()
		// Let it run until it has acknowledged something, then a bit more.
		time.Sleep(time.Duration(20+rng.IntN(150)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		for n := range acks {
			if n > lastAck {
				lastAck = n
			}
		}
		cmd.Wait()

		d, err := Open(dir, nil)
		if err != nil {
			t.Fatalf("round %d: reopen after SIGKILL: %v", round, err)
		}
		n := 0
		for ; ; n++ {
			v, err := d.Get(crashKey(n))
			if err != nil {
				break
			}
			v2, err := d.Get(append(crashKey(n), '+'))
			if err != nil || string(v) != strconv.Itoa(n) || string(v2) != string(v) {
				t.Fatalf("round %d: key %d: %q / %q, %v (batch not whole)", round, n, v, v2, err)
			}
		}
		if n-1 < lastAck {
			t.Fatalf("round %d: acknowledged batch %d lost; recovered keys 0..%d", round, lastAck, n-1)
		}
		// Nothing beyond the prefix.
		for k := n; k < n+50; k++ {
			if _, err := d.Get(crashKey(k)); err == nil {
				t.Fatalf("round %d: key %d present after a hole at %d", round, k, n)
			}
		}
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
		lastAck = n - 1
		t.Logf("round %d: %d batches recovered", round, n)
	}
}
