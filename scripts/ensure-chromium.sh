#!/usr/bin/env bash
# Makes sure a headless Chromium is installed for the GraphiQL browser test: installs Debian's chromium
# when running as root, otherwise says in one line what is missing and exits 0 (the test then skips).
# Idempotent: does nothing when chromium is already on the PATH.
set -euo pipefail
for bin in chromium chromium-browser google-chrome; do
	command -v "$bin" >/dev/null 2>&1 && exit 0
done
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "installing chromium (Debian package chromium) for the GraphiQL browser test..." >&2
	export DEBIAN_FRONTEND=noninteractive
	if ! { apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends chromium >/dev/null; }; then
		echo "could not install chromium: the GraphiQL browser test will skip" >&2
	fi
	exit 0
fi
echo "chromium is missing and this user cannot install it ('sudo apt-get install chromium'): the GraphiQL browser test will skip" >&2
exit 0
