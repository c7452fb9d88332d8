#!/usr/bin/env bash
# Checks the Prometheus alert rules with promtool (check rules, then their unit tests). promtool comes
# from Debian's prometheus package: installed here when missing and running as root; otherwise the
# check is skipped with one line saying so.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v promtool >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "installing promtool (Debian package prometheus)..." >&2
		apt-get update -qq >/dev/null
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
	else
		echo "promtool is missing and we are not root: skipping the alert rules check (sudo apt-get install prometheus)" >&2
		exit 0
	fi
fi
promtool check rules ops/prometheus/alerts.yml
promtool test rules ops/prometheus/alerts_test.yml
