#!/usr/bin/env bash
# The project's test command (the README names it). It builds, vets,
# cross-compiles for windows/amd64 and linux/386 (sizes stay 64-bit safe,
# nothing depends on Linux alone) and runs every test with the race
# detector and the invariants build tag, then the engine's packages
# without that tag.
set -euo pipefail
cd "$(dirname "$0")/.."

# -race needs cgo, and cgo a C compiler. Install Debian's gcc if there is
# none; only if that fails, run without -race, and say so loudly.
race=-race
if ! command -v "${CC:-gcc}" >/dev/null 2>&1; then
	echo "== no C compiler: installing gcc (Debian) for go test -race"
	sudo=""
	[ "$(id -u)" = 0 ] || sudo="sudo"
	{ $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq gcc libc6-dev; } >/tmp/tempest-gcc-install.log 2>&1 || true
	if ! command -v "${CC:-gcc}" >/dev/null 2>&1; then
		race=""
		echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
		echo "!! no C compiler on the PATH even after installing gcc             !!"
		echo "!! (see /tmp/tempest-gcc-install.log): the tests run WITHOUT the   !!"
		echo "!! race detector.                                                  !!"
		echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
	fi
fi
# Debian's chromium for the tests that render the HTML pictures (they skip without it).
./scripts/install-chromium.sh
# The log of this run; unique, so that concurrent runs never share one.
log=$(mktemp "${TMPDIR:-/tmp}/tempest-test.XXXXXX.log")
echo "== test log: $log"

echo "== go build"
go build ./...
echo "== go vet"
go vet ./...
echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
	echo "not gofmt'd:"; echo "$unformatted"; exit 1
fi
echo "== cross-compile windows/amd64, linux/386"
GOOS=windows GOARCH=amd64 go build ./...
GOOS=linux GOARCH=386 go build ./...
GOOS=linux GOARCH=386 go vet ./...
echo "== redis-server and redis-tools (the server package's tests compare against them)"
# Installs Debian's packages if absent; on failure it says why, and the
# server tests that need them then fail naming the script.
./scripts/install-redis.sh || echo "warning: scripts/install-redis.sh failed; the server package's Redis tests will fail"
echo "== go test $race (with -tags invariants: every installed version is checked)"
export TEMPEST_FIGURES="${log%.log}.figures.txt"
rm -f "$TEMPEST_FIGURES"
go test $race -tags invariants -timeout 20m -count=1 ./... 2>&1 | tee "$log"
echo "== go test without invariants: the mmap-backed block and memtable memory (internal/manual)"
# The invariants build keeps manual memory on the heap and poisons it on
# Free, to catch uses after Free; this run covers the production
# allocator under the engine's own tests.
env -u TEMPEST_FIGURES go test -count=1 -timeout 10m ./internal/manual ./internal/cache ./internal/memtable ./sstable . 2>&1 | tee -a "$log"
# The modules of their own: the peer engines' adapters, and the importer
for m in benchmark/peers importer; do
	echo "== go test $race in $m (a module of its own)"
	(cd "$m" && go vet ./... && go test $race -count=1 -timeout 10m ./...) 2>&1 | tee -a "$log"
done
echo "== figures of the fault-injection and simulation tests"
cat "$TEMPEST_FIGURES" 2>/dev/null || true
