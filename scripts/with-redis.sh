#!/usr/bin/env bash
# Runs a command with a throw-away redis-server on a free loopback port (no persistence), for the tests
# of the shared rate-limit store:
#
#   scripts/with-redis.sh go test ./...
#
# It installs Debian's redis-server when it is missing and the user is root, exports the server's
# address as TRELLIS_TEST_REDIS_ADDR and its binary as TRELLIS_TEST_REDIS_SERVER (tests that stop
# Redis start their own from it), and stops the server afterwards. Without redis-server it says so in
# one line and runs the command anyway: the Redis tests then skip.
set -euo pipefail

if ! command -v redis-server >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "installing redis-server (Debian package redis-server)..." >&2
	apt-get update -qq >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null || true
fi
if ! command -v redis-server >/dev/null 2>&1; then
	echo "redis-server is missing (install it with 'sudo apt-get install redis-server'): the Redis tests will skip" >&2
	exec "$@"
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null ||
	echo $((20000 + RANDOM % 20000)))
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize no --loglevel warning >/dev/null &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
	if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
	if ! kill -0 "$pid" 2>/dev/null; then echo "redis-server failed to start on port $port" >&2; exit 1; fi
	sleep 0.05
done
export TRELLIS_TEST_REDIS_ADDR="127.0.0.1:$port"
TRELLIS_TEST_REDIS_SERVER=$(command -v redis-server)
export TRELLIS_TEST_REDIS_SERVER
"$@"
