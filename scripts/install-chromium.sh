#!/usr/bin/env bash
# Installs Debian's chromium for the tests that open the HTML pictures
# (tool's TestLSMPicture*, TestBenchPicture*) in a headless browser. It
# does nothing when a chromium is already on PATH; when the install
# fails (no root, no mirror), those tests skip and say why.
set -u
for c in chromium chromium-browser; do
	if command -v "$c" >/dev/null 2>&1; then exit 0; fi
done
echo "== no chromium: installing Debian's chromium for the picture tests"
sudo=""
if [ "$(id -u)" != 0 ]; then
	if ! command -v sudo >/dev/null 2>&1; then
		echo "== cannot install chromium (not root, no sudo): the picture tests will skip"
		exit 0
	fi
	sudo="sudo"
fi
log=/tmp/tempest-chromium-install.log
if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core; } >"$log" 2>&1; then
	echo "== installing chromium failed (see $log): the picture tests will skip"
fi
exit 0
