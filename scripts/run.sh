#!/usr/bin/env bash
# Starts the sample services and the gateway in front of them; Ctrl-C stops both.
# Usage: scripts/run.sh BIN_DIR
set -euo pipefail
bin=${1:-bin}
shift || true # the rest are gateway flags, e.g. -config config/trellis.example.yaml
logdir=$(mktemp -d)
pids=()
stop() {
	trap - INT TERM EXIT
	for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	echo "stopped (logs were in $logdir)"
}
trap 'stop; exit 0' INT TERM
trap stop EXIT

ready="$logdir/ready"
"$bin/demo-services" >"$ready" 2>"$logdir/demo-services.log" &
pids+=($!)
for _ in $(seq 1 100); do
	[ -s "$ready" ] && break
	if ! kill -0 "${pids[0]}" 2>/dev/null; then
		echo "the sample services did not start:" >&2
		tail -n 5 "$logdir/demo-services.log" >&2
		exit 1
	fi
	sleep 0.1
done
echo "sample services: $(cat "$ready")"

# The gateway's output passes through; its "listening" line is followed by where GraphiQL is.
"$bin/gateway" "$@" > >(while IFS= read -r line; do
	printf '%s\n' "$line"
	case $line in "Trellis gateway listening on "*/graphql)
		url=${line#Trellis gateway listening on }
		echo "GraphiQL (development mode): ${url%/graphql}/" ;;
	esac
done) &
pids+=($!)
echo "Ctrl-C stops the gateway and the sample services (their logs: $logdir)"
wait -n "${pids[@]}"
