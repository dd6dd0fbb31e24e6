//go:build unix

package raftstore

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/tempestdb/tempest"
)

const crashChildEnv = "TEMPEST_RAFTSTORE_CRASH_CHILD_DIR"

// crashChildMain is the child process of TestStoreLogsProcessCrash: it
// appends batches of 1 to 16 entries after the log's last index forever,
// printing "ack N" once StoreLogs up to N returned. Every 40 batches it
// deletes the front of the log, keeping the last 100 entries, between
// "trim N" (before: entries below N may go) and "trimmed N" (after).
func crashChildMain() {
	db, err := tempest.Open(os.Getenv(crashChildEnv), &tempest.Options{MemTableSize: tempest.MinMemTableSize})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	s, err := New(db, []byte("crash/"))
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	last, _ := s.LastIndex()
	w := bufio.NewWriter(os.Stdout)
	rng := rand.New(rand.NewPCG(uint64(os.Getpid()), last))
	for batch := 1; ; batch++ {
		var logs []*raft.Log
		for range 1 + rng.IntN(16) {
			last++
			logs = append(logs, testLog(last, 1+last/500))
		}
		if err := s.StoreLogs(logs); err != nil {
			fmt.Fprintln(w, "error", err)
			w.Flush()
			os.Exit(3)
		}
		fmt.Fprintln(w, "ack", last)
		if batch%40 == 0 && last > 100 {
			fmt.Fprintln(w, "trim", last-100)
			w.Flush()
			first, _ := s.FirstIndex()
			if err := s.DeleteRange(first, last-101); err != nil {
				fmt.Fprintln(w, "error", err)
				w.Flush()
				os.Exit(3)
			}
			fmt.Fprintln(w, "trimmed", last-100)
		}
		w.Flush()
	}
}

// crashReport is what the child acknowledged before it was killed.
type crashReport struct {
	lastAck, trimmed, trimIntent uint64
}

// runCrashChild starts the child on dir, kills it with SIGKILL after d,
// and returns what it acknowledged.
func runCrashChild(t *testing.T, dir string, d time.Duration) crashReport {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan crashReport)
	go func() {
		var r crashReport
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			word, n, _ := strings.Cut(sc.Text(), " ")
			v, _ := strconv.ParseUint(n, 10, 64)
			switch word {
			case "ack":
				r.lastAck = v
			case "trim":
				r.trimIntent = v
			case "trimmed":
				r.trimmed = v
			default:
				t.Errorf("child: %s", sc.Text())
			}
		}
		done <- r
	}()
	time.Sleep(d)
	cmd.Process.Signal(syscall.SIGKILL)
	r := <-done
	cmd.Wait()
	return r
}

// TestStoreLogsProcessCrash kills a process appending to a Store with
// SIGKILL, 12 times over one database. After each kill the reopened Store
// must hold every acknowledged entry, intact, at contiguous indexes from
// FirstIndex to LastIndex, with the front deleted at least as far as an
// acknowledged DeleteRange and no further than the last one begun.
func TestStoreLogsProcessCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	rng := newRand(testSeed(t))
	dir := t.TempDir()
	var prev crashReport
	for round := range 12 {
		r := runCrashChild(t, dir, time.Duration(30+rng.IntN(200))*time.Millisecond)
		if r.lastAck == 0 {
			r.lastAck = prev.lastAck
		}
		r.trimmed, r.trimIntent = max(r.trimmed, prev.trimmed), max(r.trimIntent, prev.trimIntent)
		db := openDB(t, dir)
		s := newStore(t, db, "crash/")
		first, _ := s.FirstIndex()
		last, _ := s.LastIndex()
		if last < r.lastAck {
			t.Fatalf("round %d: acknowledged entry %d lost: log ends at %d", round, r.lastAck, last)
		}
		if last == 0 {
			db.Close()
			t.Logf("round %d: killed before its first write", round)
			continue
		}
		if first < max(r.trimmed, 1) || first > max(r.trimIntent, 1) {
			t.Fatalf("round %d: log starts at %d, want %d..%d", round, first, max(r.trimmed, 1), max(r.trimIntent, 1))
		}
		for i := first; i <= last; i++ {
			var l raft.Log
			if err := s.GetLog(i, &l); err != nil || !sameLog(&l, testLog(i, 1+i/500)) {
				t.Fatalf("round %d: entry %d of %d..%d: %+v, %v", round, i, first, last, l, err)
			}
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		t.Logf("round %d: log %d..%d, %d acknowledged", round, first, last, r.lastAck)
		prev = r
		prev.lastAck = last
	}
}
