#!/bin/sh
# The readiness rule under load: ROUNDS rounds of `run -d` + an immediate
# `exec` + `rm -f`, PAIRS at a time. Every exec must land in the container's
# root (it sees /t, the test rootfs's own directory) and never in the host's
# (it would create /final-stress-*). Prints one summary line; exit 1 on any
# failure or on anything left behind.
#   tests/stress-exec.sh [ROUNDS [PAIRS]]   as root, after make test; FINAL_BIN: another binary
set -u
rounds=${1:-200} pairs=${2:-2}
top=$(cd "$(dirname "$0")/.." && pwd)
final=${FINAL_BIN:-$top/final/final} rootfs=$top/tests/build/rootfs
mkdir -p /run /var/tmp
export FINAL_STATE=$(mktemp -d /run/final-stress-XXXXXX) FINAL_DATA=$(mktemp -d /var/tmp/final-stress-XXXXXX)
log=$FINAL_DATA.log
: >"$log"
# Whatever the outcome (a failed run exited before its cleanup, and left these): containers, then dirs.
trap 'for id in $(ls "$FINAL_STATE/containers" 2>/dev/null); do "$final" rm -f "$id" >/dev/null 2>&1; done
	rm -rf "$FINAL_STATE" "$FINAL_DATA" "$log"' EXIT

pair() { # PAIR: its share of the rounds
	i=0
	while [ $i -lt $((rounds / pairs)) ]; do
		name=s$1-$i marker=/final-stress-$$-$1-$i
		if ! "$final" run -d --name "$name" --network none "$rootfs" /bin/sleep 60 >/dev/null 2>>"$log"; then
			echo "run-failed $name" >>"$log"
		else
			out=$("$final" exec "$name" /bin/sh -c "test -d /t && echo inside; touch $marker" 2>&1)
			[ "$out" = inside ] || echo "exec-outside $name: $out" >>"$log"
			[ -e "$marker" ] && { echo "HOST-REACHED $marker" >>"$log"; rm -f "$marker"; }
			"$final" rm -f "$name" >/dev/null 2>>"$log" || echo "rm-failed $name" >>"$log"
		fi
		i=$((i + 1))
	done
}

start=$(date +%s)
for p in $(seq "$pairs"); do pair "$p" & done
wait
secs=$(($(date +%s) - start))
left=$(ls "$FINAL_STATE/containers" "$FINAL_DATA/containers" 2>/dev/null | grep -c '^[0-9a-f]\{16\}$')
host=$(grep -c HOST-REACHED "$log")
bad=$(grep -c . "$log")
echo "stress-exec: $rounds rounds, $pairs at a time, ${secs} s: host reached $host times, $bad problems, $left containers left"
[ "$bad" -eq 0 ] && [ "$left" -eq 0 ] || { cat "$log" | head -20; exit 1; }
