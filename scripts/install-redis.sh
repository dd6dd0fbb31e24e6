#!/usr/bin/env bash
# Installs Debian's redis-server and redis-tools (redis-cli,
# redis-benchmark) if they are absent: the server package's tests drive
# them and diff Tempest's replies against a real redis-server. Needs root
# (or sudo) and apt-get; on any other system it says what to install.
set -uo pipefail

if command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 &&
	command -v redis-benchmark >/dev/null 2>&1; then
	exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
	echo "install-redis: no apt-get here; install redis-server and redis-tools (Redis 7.0) by hand" >&2
	exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		sudo="sudo"
	else
		echo "install-redis: not root and no sudo; run as root: apt-get install -y redis-server redis-tools" >&2
		exit 1
	fi
fi
export DEBIAN_FRONTEND=noninteractive
echo "== installing redis-server and redis-tools (apt-get)"
if ! $sudo apt-get update -qq; then
	echo "install-redis: apt-get update failed (no network to the Debian mirrors?)" >&2
	exit 1
fi
# --no-install-recommends: the server binary only; the package's service
# is not needed (tests start their own servers on free ports).
if ! $sudo apt-get install -y -qq --no-install-recommends redis-server redis-tools; then
	echo "install-redis: apt-get install redis-server redis-tools failed" >&2
	exit 1
fi
# Debian's package starts a system redis-server on port 6379; the tests
# do not use it, and it is left to the system's service manager.
command -v redis-server >/dev/null && command -v redis-cli >/dev/null
