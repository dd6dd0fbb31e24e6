// Package peers adapts Pebble, Badger and goleveldb to the benchmark.Engine
// interface, so that `tempest bench` runs the same workloads on them as on
// Tempest. It is a module of its own (github.com/tempestdb/tempest/benchmark/peers)
// so that the peers' dependencies stay out of Tempest's module;
// cmd/peerbench is the program `tempest bench` builds and runs in a
// subprocess per peer and workload.
//
// Every engine gets the same benchmark.Config: memtable size, block cache
// size, and compression (each engine's default unless --compression says
// otherwise). All four use bloom filters of about 1% false positives
// (Tempest and Badger by default; Pebble and goleveldb are given a
// 10-bit-per-key filter, which they lack by default). Each adapter's
// comment says how it maps sync, Settle and its I/O counters.
package peers
