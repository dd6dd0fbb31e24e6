#!/usr/bin/env bash
# Measures tempest serve against redis-server with redis-benchmark, as
# docs/performance.md reports: -t set,get,incr,mset -n N, once pipelined
# (-P 16) and once with 50 clients (-P 1 -c 50), against
#   tempest serve (appendfsync always, the default),
#   redis-server with appendonly yes and appendfsync always,
#   redis-server with its defaults (RDB snapshots, no AOF).
# Everything runs on this machine, on loopback. Not part of the tests.
# Usage: scripts/bench-serve.sh [N]   (default 200000)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-200000}"
./scripts/install-redis.sh
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
go build -o "$work/tempest" ./cmd/tempest

wait_port() {
	for _ in $(seq 100); do
		if redis-cli -p "$1" ping 2>/dev/null | grep -q PONG; then return 0; fi
		sleep 0.1
	done
	echo "port $1 never answered" >&2
	exit 1
}

run() { # name port
	for mode in "-P 16" "-P 1 -c 50"; do
		redis-cli -p "$2" flushdb >/dev/null
		echo "== $1, redis-benchmark -t set,get,incr,mset -n $n $mode"
		# shellcheck disable=SC2086
		redis-benchmark -p "$2" -t set,get,incr,mset -n "$n" $mode -q 2>&1 | tr '\r' '\n' | grep 'requests per second'
	done
}

"$work/tempest" serve --dir "$work/tempest-data" --addr 127.0.0.1:16390 >"$work/tempest.log" 2>&1 &
pids+=($!)
wait_port 16390
run "tempest serve (appendfsync always)" 16390
kill "${pids[-1]}"

mkdir -p "$work/r1" "$work/r2"
redis-server --port 16391 --bind 127.0.0.1 --dir "$work/r1" --appendonly yes --appendfsync always --save '' --daemonize no >"$work/r1.log" 2>&1 &
pids+=($!)
wait_port 16391
run "redis-server (appendonly yes, appendfsync always)" 16391
kill "${pids[-1]}"

redis-server --port 16392 --bind 127.0.0.1 --dir "$work/r2" --daemonize no >"$work/r2.log" 2>&1 &
pids+=($!)
wait_port 16392
run "redis-server (defaults)" 16392
