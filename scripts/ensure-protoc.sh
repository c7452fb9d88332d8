#!/usr/bin/env bash
# Makes sure protoc is installed: installs Debian's protobuf-compiler when running as root, otherwise
# says in one line what is missing.
set -euo pipefail
command -v protoc >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "installing protoc (Debian package protobuf-compiler)..." >&2
	apt-get update -qq >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq protobuf-compiler >/dev/null
	exit 0
fi
echo "protoc is missing: install it with 'sudo apt-get install protobuf-compiler' (or your OS's protobuf compiler)" >&2
exit 1
