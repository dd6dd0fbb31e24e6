// Command peerbench runs benchmark workloads on one engine (Pebble,
// Badger, goleveldb, or Tempest) and prints the results as one JSON
// document (a benchmark.Report) on stdout; progress lines go to stderr.
// `tempest bench` builds it and runs one process per engine and workload;
// its flags are those of `tempest bench` plus --engine.
//
//	go run ./cmd/peerbench --engine pebble --benchmarks fillrandom,readrandom --num 100000
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"

	"github.com/tempestdb/tempest/benchmark"
	"github.com/tempestdb/tempest/benchmark/peers"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "peerbench:", err)
		os.Exit(1)
	}
}

func run() error {
	opts := benchmark.DefaultOptions()
	opts.Benchmarks = nil
	fs := flag.NewFlagSet("peerbench", flag.ContinueOnError)
	engine := fs.String("engine", "pebble", "engine to run: tempest, pebble, badger or goleveldb")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file (to compare with tempest bench --cpuprofile)")
	opts.RegisterFlags(fs)
	if err := fs.Parse(os.Args[1:]); err != nil {
		return err
	}
	if _, err := peers.New(*engine); err != nil {
		return err
	}
	if err := opts.Validate(); err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	newEngine := func() benchmark.Engine {
		e, _ := peers.New(*engine)
		return e
	}
	results, err := benchmark.Run(ctx, newEngine, opts, os.Stderr)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(benchmark.NewReport(opts, results))
}
