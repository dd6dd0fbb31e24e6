package benchmark

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"
)

// Engines are the engines a comparison knows, Tempest first. Tempest's
// adapter is in this package; the others are in the separate peers module
// (benchmark/peers). bbolt, an mmap B+tree, is the read-side reference;
// the others are the LSM peers (LSMPeers).
var Engines = []string{"tempest", "pebble", "badger", "goleveldb", "bbolt"}

// LSMPeers are the LSM engines Tempest's targets are measured against.
var LSMPeers = []string{"pebble", "badger", "goleveldb"}

// Comparison is the JSON document of a side-by-side run: every engine's
// results, and Tempest's ratios to each peer.
type Comparison struct {
	Report
	Engines []string `json:"engines"`
	Ratios  []Ratio  `json:"ratios"`
}

// Ratio compares Tempest with one peer on one workload: each field is
// Tempest's figure divided by the peer's (0 when either is unknown).
// Throughput above 1 and the others below 1 favor Tempest.
type Ratio struct {
	Workload   string  `json:"workload"`
	Peer       string  `json:"peer"`
	Throughput float64 `json:"throughput"`
	P99        float64 `json:"p99"`
	PeakRSS    float64 `json:"peak_rss"`
	Disk       float64 `json:"disk"`
}

// find returns the result of engine on workload, or nil.
func find(results []Result, engine, workload string) *Result {
	for i := range results {
		if results[i].Engine == engine && results[i].Workload == workload {
			return &results[i]
		}
	}
	return nil
}

// Compare returns Tempest's ratios to every peer in results, per workload
// in the order of workloads.
func Compare(results []Result, workloads, engines []string) []Ratio {
	var ratios []Ratio
	for _, wl := range workloads {
		t := find(results, "tempest", wl)
		if t == nil || t.Error != "" || t.Unsupported != "" {
			continue
		}
		for _, peer := range engines {
			p := find(results, peer, wl)
			if peer == "tempest" || p == nil || p.Error != "" || p.Unsupported != "" {
				continue
			}
			r := Ratio{Workload: wl, Peer: peer, P99: ratio(t.Latency.P99, p.Latency.P99),
				PeakRSS: ratio(t.PeakRSS, p.PeakRSS), Disk: ratio(t.DiskBytes, p.DiskBytes)}
			if t.OpsPerSec > 0 && p.OpsPerSec > 0 {
				r.Throughput = t.OpsPerSec / p.OpsPerSec
			}
			ratios = append(ratios, r)
		}
	}
	return ratios
}

// WriteTable prints the side-by-side table: per workload, each engine's
// throughput, p99 latency, write amplification (the engine's own figure,
// else the operating system's, marked *), peak RSS and size on disk, and
// for each peer Tempest's ratios to it.
func WriteTable(w io.Writer, results []Result, workloads, engines []string) {
	ratios := Compare(results, workloads, engines)
	header := fmt.Sprintf("%-16s %-9s %10s %9s %7s %9s %9s | %8s %6s %6s %6s", "workload", "engine", "ops/s", "p99",
		"w-amp", "peak-rss", "disk", "÷ops/s", "÷p99", "÷rss", "÷disk")
	fmt.Fprintln(w, header)
	fmt.Fprintln(w, strings.Repeat("-", utf8.RuneCountInString(header)))
	for _, wl := range workloads {
		first := true
		for _, engine := range engines {
			r := find(results, engine, wl)
			if r == nil {
				continue
			}
			name := ""
			if first {
				name, first = wl, false
			}
			if r.Error != "" {
				fmt.Fprintf(w, "%-16s %-9s FAILED: %s\n", name, engine, firstLine(r.Error))
				continue
			}
			if r.Unsupported != "" {
				fmt.Fprintf(w, "%-16s %-9s unsupported: %s\n", name, engine, r.Unsupported)
				continue
			}
			wamp := formatRatio(r.WriteAmp)
			if r.WriteAmp <= 0 && r.OSWriteAmp > 0 {
				wamp = formatRatio(r.OSWriteAmp) + "*"
			}
			fmt.Fprintf(w, "%-16s %-9s %10s %9s %7s %9s %9s |", name, engine, FormatCount(r.OpsPerSec),
				FormatNanos(r.Latency.P99), wamp, FormatBytes(r.PeakRSS), FormatBytes(r.DiskBytes))
			for _, q := range ratios {
				if q.Workload == wl && q.Peer == engine {
					fmt.Fprintf(w, " %8s %6s %6s %6s", formatTimes(q.Throughput), formatTimes(q.P99),
						formatTimes(q.PeakRSS), formatTimes(q.Disk))
				}
			}
			fmt.Fprintln(w)
		}
	}
	fmt.Fprintln(w, "w-amp: bytes the engine wrote per byte the workload wrote, load included (*: counted by the OS; the engine does not say)")
	fmt.Fprintln(w, "÷x: Tempest's x divided by the peer's (above 1 favors Tempest for ops/s, below 1 for the others)")
	WriteSyncTable(w, results, workloads, engines)
}

// WriteSyncTable prints, after a blank line, the group-commit table of
// the fsync-bound results (those with Sync figures): per workload and
// engine, goroutines, throughput, commits per fsync, the disk's fsync
// rate from the probes run just before and just after the workload, and
// the sync ratio against SyncRatioTarget. It prints nothing if no result
// is fsync-bound.
func WriteSyncTable(w io.Writer, results []Result, workloads, engines []string) {
	if !slices.ContainsFunc(results, func(r Result) bool { return r.Sync != nil && r.Error == "" }) {
		return
	}
	header := fmt.Sprintf("%-16s %-9s %7s %10s %13s %13s %9s  %s", "workload", "engine", "writers", "ops/s",
		"commits/fsync", "disk fsync/s", "ratio", fmt.Sprintf("target ≥ %.2f", SyncRatioTarget))
	fmt.Fprintln(w)
	fmt.Fprintln(w, header)
	fmt.Fprintln(w, strings.Repeat("-", utf8.RuneCountInString(header)))
	for _, wl := range workloads {
		first := true
		for _, engine := range engines {
			r := find(results, engine, wl)
			if r == nil || r.Sync == nil || r.Error != "" {
				continue
			}
			name := ""
			if first {
				name, first = wl, false
			}
			s := r.Sync
			disk, target := "-", "-"
			if s.DiskSyncsPerSec > 0 {
				disk = FormatCount(s.DiskSyncsPerSec)
			}
			if s.Ratio > 0 {
				target = metOrMissed(s.TargetMet)
			}
			fmt.Fprintf(w, "%-16s %-9s %7d %10s %13s %13s %9s  %s\n", name, engine, r.Goroutines,
				FormatCount(r.OpsPerSec), formatRatio(s.CommitsPerSync), disk, formatSyncRatio(s.Ratio), target)
		}
	}
	fmt.Fprintln(w, "ratio: ops/s ÷ (disk fsync/s × commits/fsync); disk fsync/s: the fsync probes (4KiB writes, each followed by a data sync, on the databases' file system) just before and after the workload")
}

func formatTimes(v float64) string {
	if v <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", v)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}
