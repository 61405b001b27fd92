#!/usr/bin/env bash
# make bench: final's start-up cost, footprint and scale, side by side with
# what a user would pick instead (runc, crun, bubblewrap, plain unshare), in
# one run on this machine. Writes tests/build/bench/results.json and
# latency.png, and prints a table.
#
# Everything runs in a mount and network namespace of the bench's own:
# bridges, veths and NAT rules never touch this machine's interfaces. On a
# hybrid cgroup host /sys/fs/cgroup/unified is unmounted there, because crun
# 1.8 refuses hybrid layouts ("cgroups in hybrid mode not supported"); every
# tool then sees the same pure v1 layout. final's state is on a tmpfs, as
# /run is on a systemd host: one of the bench's own, mounted in its namespace
# (away from the user's containers, and gone with the bench).
#
#   BENCH_RUNS=N   runs per start-up figure (default 100, at least 2), and
#                  3N pairs per scale figure; the phases take at most 20, the pulls 10
# podman and gnuplot are optional: without them, their part is skipped (said).
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/tests/build/bench
runs=${BENCH_RUNS:-100}
[[ $runs =~ ^[0-9]+$ ]] && [ "$runs" -ge 2 ] ||
	{ echo "bench: BENCH_RUNS must be a number, at least 2 (hyperfine gives no spread for 1)" >&2; exit 2; }
few=$((runs < 20 ? runs : 20))
pulls=$((runs < 10 ? runs : 10))
final=$top/final/final
rootfs=$top/rootfs

if [ -z "${BENCH_INNER:-}" ]; then
	exec unshare --mount --net env BENCH_INNER=1 "$0" "$@"
fi
mount --make-rprivate /
notes=()
if mountpoint -q /sys/fs/cgroup/unified 2>/dev/null; then
	umount /sys/fs/cgroup/unified
	notes+=("hybrid cgroups: /sys/fs/cgroup/unified unmounted in the bench's mount namespace, for crun 1.8")
fi
ip link set lo up
mkdir -p "$out/state"
mount -t tmpfs -o mode=700 tmpfs "$out/state"
cd "$top"
export FINAL_STATE=$out/state FINAL_DATA=$out/data

# An OCI bundle of the same rootfs for runc and crun: `runc spec`, with the
# same namespaces as final (pid, net, ipc, uts, mount), /bin/true, no tty.
bundle=$out/bundle
rm -rf "$bundle" && mkdir -p "$bundle"
(cd "$bundle" && runc spec)
jq --arg root "$rootfs" '.process.args = ["/bin/true"] | .process.terminal = false |
	.root.path = $root | .root.readonly = true' "$bundle/config.json" >"$bundle/c" &&
	mv "$bundle/c" "$bundle/config.json"

floor="unshare --fork --pid --mount --uts --ipc --net /bin/true"
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
# COUNT pairs of commands A and B, which goes first alternating, each timed
# once by hyperfine (no shell in between) right after one untimed run of its
# own (the first command a new hyperfine starts is slower: a millisecond more
# for the floor, cold as it is): "A's ms B's ms" a line; two more pairs
# before, to warm up.
pairs() {
	local i
	for i in $(seq $(($1 + 2))); do
		if ((i % 2)); then
			hyperfine -N --warmup 1 --runs 1 --style none --export-json "$out/pair.json" "$2" "$3" >/dev/null 2>&1
		else
			hyperfine -N --warmup 1 --runs 1 --style none --export-json "$out/pair.json" "$3" "$2" >/dev/null 2>&1
		fi
		if ((i > 2)); then
			jq -r --argjson a $((1 - i % 2)) '"\(.results[$a].times[0] * 1000) \(.results[1 - $a].times[0] * 1000)"' \
				"$out/pair.json"
		fi
	done
}
# A's median, B's, and the median of the pairs' A / B, tab-separated.
pair_medians() {
	printf '%s\t%s\t%s' "$(awk '{ print $1 }' "$1" | median)" "$(awk '{ print $2 }' "$1" | median)" \
		"$(awk '{ print $1 / $2 }' "$1" | median)"
}

echo "=> start-to-exit of /bin/true: $runs rounds of every tool, in a rotating order; then final --network none and the floor in blocks of $runs"
# Each round runs every tool once, each timed by hyperfine (no shell in
# between) right after one untimed run of its own, the order rotating from
# round to round; a tool's ratio to another is the median of the rounds'
# ratios. The table came from hyperfine's blocks before (each
# tool's runs in a row): a minute of this VM running slower (it happens, in
# both directions) then moved one tool's block and not the others', by as
# much as 30% (final's own block at 12.8 ms and its runs among the floor's at
# 9.6 ms, in one run at 5e5bf21). A line of startup-rounds.tsv: round, tool, ms.
names=("final --network none" "final (bridge)" "final (limits)" "runc run" "crun run" "bwrap" "unshare (floor)")
cmds=("$final run --rm --network none $rootfs /bin/true" "$final run --rm $rootfs /bin/true"
	"$final run --rm --network none -m 64M --cpus 1 --pids-limit 64 $rootfs /bin/true"
	"runc run -b $bundle bench-runc" "crun run -b $bundle bench-crun"
	"bwrap --unshare-pid --unshare-ipc --unshare-uts --unshare-net --bind $rootfs / --proc /proc --dev /dev /bin/true"
	"$floor")
ntools=${#names[@]}
: >"$out/startup-rounds.tsv"
for round in $(seq -2 "$runs"); do # two rounds first, to warm up
	args=()
	for k in $(seq 0 $((ntools - 1))); do
		t=$(((k + round + ntools) % ntools))
		args+=(-n "$t" "${cmds[t]}")
	done
	hyperfine -N --warmup 1 --runs 1 --style none --export-json "$out/round.json" "${args[@]}" >/dev/null 2>&1
	if [ "$round" -gt 0 ]; then
		jq -r --arg r "$round" '.results[] | "\($r)\t\(.command)\t\(.times[0] * 1000)"' "$out/round.json" >>"$out/startup-rounds.tsv"
	fi
done
# One tool per line: name, median ms, stddev, median of the rounds' ratios to
# final --network none (tool 0), and to the floor (the last).
awk -F'\t' -v n="$ntools" '
	{ t[$1, $2] = $3; ms[$2, ++c[$2]] = $3; rounds[$1] = 1 }
	function median(a, m,   i, j, x) { # a[1..m], sorted in place
		for (i = 2; i <= m; i++) { x = a[i]; for (j = i - 1; j > 0 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
		return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
	}
	END {
		for (k = 0; k < n; k++) {
			m = 0; s = 0; ss = 0
			for (r in rounds) { v[++m] = t[r, k]; s += v[m]; ss += v[m] * v[m]
				base[m] = v[m] / t[r, 0]; fl[m] = v[m] / t[r, n - 1] }
			sd = sqrt((ss - s * s / m) / (m - 1))
			printf "%d\t%.4f\t%.4f\t%.4f\t%.4f\n", k, median(v, m), sd, median(base, m), median(fl, m)
		}
	}' "$out/startup-rounds.tsv" |
	while IFS=$'\t' read -r k med sd base fl; do
		printf '%s\t%s\t%s\t%s\t%s\n' "${names[k]}" "$med" "$sd" "$base" "$fl"
	done >"$out/startup.tsv"
# ...and the old way, for comparison with earlier runs: final --network none
# and the floor, each in a block of its own.
hyperfine -N --warmup 5 --runs "$runs" --style none --export-json "$out/startup-blocks.json" \
	-n "final --network none" "${cmds[0]}" -n "unshare (floor)" "$floor" >/dev/null

# The OCI lifecycle (youki's method): create, start and delete of the same
# bundle with each runtime, as an engine calls them; then podman run --rm
# with each runtime in its place (storage vfs, under $out, network none).
echo "=> OCI: create + start + delete of one bundle; podman run --rm true with each runtime"
oci_cycle() { echo "$1 create -b $bundle bench-oci && $1 start bench-oci && $1 delete --force bench-oci"; }
hyperfine --warmup 5 --runs "$runs" --style none --export-json "$out/oci.json" \
	-n "final-oci" "$(oci_cycle "$final-oci")" -n "crun" "$(oci_cycle crun)" -n "runc" "$(oci_cycle runc)" >/dev/null
if command -v podman >/dev/null; then
	pm="podman --root $out/podman/root --runroot $out/podman/run --tmpdir $out/podman/tmp --storage-driver=vfs --cgroup-manager=cgroupfs --events-backend=file"
	tar -C "$rootfs" -c . | $pm import - benchimage >/dev/null 2>&1
	# --cgroup-parent: podman leaves conmon's cgroup behind (PARENT/conmon); ours, removed below
	pm_run() { echo "$pm --runtime $1 run --rm --network none --cgroup-parent /final-oci-bench --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 benchimage /bin/true"; }
	hyperfine --warmup 2 --runs "$few" --style none --export-json "$out/podman.json" \
		-n "podman + final-oci" "$(pm_run "$final-oci")" -n "podman + crun" "$(pm_run "$(command -v crun)")" \
		-n "podman + runc" "$(pm_run "$(command -v runc)")" >/dev/null
	$pm system reset -f >/dev/null 2>&1 || true
	for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do rmdir "$h/final-oci-bench/conmon" "$h/final-oci-bench" 2>/dev/null || true; done
else
	echo '{"results": []}' >"$out/podman.json"
	notes+=("no podman: podman run --rm not measured")
fi

# Mean of each phase over $few runs of `final run --timings`: the runtime's
# phases, and the container's own up to execve (inside the runtime's "container").
phases() {
	for _ in $(seq "$few"); do "$final" run --rm --timings "$@" "$rootfs" /bin/true 2>&1; done |
		awk '/final: timings \(/ {
			inside = /until execve/
			sub(/^[^:]*: timings \([^)]*\): /, ""); sub(/; total.*/, "")
			n = split($0, parts, ", ")
			for (i = 1; i <= n; i++) {
				name = parts[i]; sub(/ [0-9.]+ ms$/, "", name)
				ms = parts[i]; sub(/ ms$/, "", ms); sub(/.* /, "", ms)
				if (inside) name = "  in the container: " name
				if (!(name in sum)) { if (inside) inner[ki++] = name; else order[k++] = name }
				sum[name] += ms
			}
		}
		END {
			for (i = 0; i < ki; i++) order[k++] = inner[i]
			for (i = 0; i < k; i++) printf "%s\t%.2f\n", order[i], sum[order[i]] / n_runs
		}' n_runs="$few"
}
echo "=> where the time goes (final run --timings, mean of $few)"
phases --network none >"$out/phases-none.tsv"
phases >"$out/phases-bridge.tsv"

echo "=> footprint"
peak_rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n 1; }
rss_final=$(peak_rss "$final" run --rm --network none "$rootfs" /bin/true)
rss_runc=$(peak_rss runc run -b "$bundle" bench-runc)
rss_crun=$(peak_rss crun run -b "$bundle" bench-crun)
avail() { awk '/MemAvailable/ { print $2 }' /proc/meminfo; }
before=$(avail)
for i in $(seq 10); do "$final" run -d --name "idle$i" --network none "$rootfs" sleep 1000 >/dev/null; done
sleep 1
after=$(avail)
per_container=$(( (before - after) / 10 ))
for i in $(seq 10); do "$final" rm -f "idle$i" >/dev/null; done

# Beside final at each N, the floor: what the machine itself does as N grows
# (more processes, memory, cgroups), so that final's own growth shows.
# Latency against the number running, paired: a bridged `final run` and the
# floor alternate (which goes first alternates too), 3 x $runs pairs at each N,
# and each pair gives final's time over the floor's. This VM's speed drifts
# over the minutes between two N, in both directions, as much as final's
# time moves; the floor beside each run of final cancels that. A line of
# scale.tsv: N, final's median (ms), the floor's, the median of the ratios.
paired() {
	pairs $((3 * runs)) "$final run --rm $rootfs /bin/true" "$floor" >"$out/pairs-$1.txt"
	printf '%s\t%s\n' "$1" "$(pair_medians "$out/pairs-$1.txt")"
}
echo "=> start latency against containers already running (bridge, each with a cgroup and a veth; paired with the floor)"
: >"$out/scale.tsv"
running=0
for target in 1 10 50 100; do
	while [ "$running" -lt "$target" ]; do
		running=$((running + 1))
		"$final" run -d --name "bg$running" "$rootfs" sleep 1000 >/dev/null
	done
	paired "$target" >>"$out/scale.tsv"
done
# and with one running again: what the machine did meanwhile
for i in $(seq 2 "$running"); do "$final" rm -f "bg$i" >/dev/null; done
paired 1 >"$out/scale-again.tsv"
"$final" rm -f bg1 >/dev/null
start=$(date +%s%N)
for i in $(seq 50); do "$final" run -d --name "burst$i" "$rootfs" sleep 1000 >/dev/null & done
wait
burst_ms=$(( ($(date +%s%N) - start) / 1000000 ))
for i in $(seq 50); do "$final" rm -f "burst$i" >/dev/null; done

# final pull against what a user without a docker daemon would run to get a
# root filesystem from a registry: skopeo copy (to an OCI layout), then umoci
# unpack. A registry on loopback, in this namespace; two images: the busybox
# rootfs (3 MB) and one with a 64 MB layer of incompressible data.
echo "=> pulling from a registry on loopback: final pull, skopeo copy, skopeo + umoci unpack"
reg=$out/registry
rm -rf "$reg" && mkdir -p "$reg/big/blob"
printf 'version: 0.1\nlog: {level: error}\nstorage: {filesystem: {rootdirectory: %s/storage}}\nhttp: {addr: 127.0.0.1:5000}\n' \
	"$reg" >"$reg/config.yml"
docker-registry serve "$reg/config.yml" >"$reg/log" 2>&1 &
registry_pid=$!
trap 'kill $registry_pid 2>/dev/null' EXIT
for i in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/5000) 2>/dev/null && break; sleep 0.1; done
dd if=/dev/urandom of="$reg/big/blob/data" bs=1M count=64 status=none
tar -C "$reg/big" -czf "$reg/big.tar.gz" .
platform=linux/$(dpkg --print-architecture)
for image in busybox big; do
	layers=$top/tests/build/busybox-layer.tar.gz
	[ "$image" = big ] && layers="$layers $reg/big.tar.gz"
	# shellcheck disable=SC2086 # the layers, word-split on purpose
	"$top/tests/build/mkimage" layout "$reg/layout-$image" latest '{"Cmd":["/bin/sh"]}' \
		--platform "$platform" $layers
	skopeo --insecure-policy copy -q --dest-tls-verify=false "oci:$reg/layout-$image:latest" \
		"docker://127.0.0.1:5000/$image:latest"
	hyperfine -N --warmup 1 --runs "$pulls" --style none --export-json "$out/pull-$image.json" \
		--prepare "rm -rf $FINAL_DATA $reg/oci $reg/bundle" \
		-n "final pull" "$final pull 127.0.0.1:5000/$image" \
		-n "skopeo copy" "skopeo --insecure-policy copy -q --src-tls-verify=false docker://127.0.0.1:5000/$image:latest oci:$reg/oci:latest" \
		-n "skopeo copy + umoci unpack" "sh -c 'skopeo --insecure-policy copy -q --src-tls-verify=false docker://127.0.0.1:5000/$image:latest oci:$reg/oci:latest && umoci unpack --image $reg/oci:latest $reg/bundle >/dev/null'" \
		>/dev/null
done
rm -rf "$FINAL_DATA" "$reg/oci" "$reg/bundle"

# The results file, the table, the plot.
jq -n --arg s "$(cat "$out/startup.tsv")" --slurpfile blocks "$out/startup-blocks.json" --slurpfile oci "$out/oci.json" --slurpfile podman "$out/podman.json" --arg none "$(cat "$out/phases-none.tsv")" \
	--arg bridge "$(cat "$out/phases-bridge.tsv")" --arg scale "$(cat "$out/scale.tsv")" \
	--arg again "$(cat "$out/scale-again.tsv")" \
	--argjson rss_final "$rss_final" --argjson rss_runc "$rss_runc" --argjson rss_crun "$rss_crun" \
	--argjson per_container "$per_container" --argjson burst "$burst_ms" \
	--slurpfile pull_small "$out/pull-busybox.json" --slurpfile pull_big "$out/pull-big.json" \
	--arg machine "$(nproc) CPUs, $(awk '/MemTotal/ { printf "%d GiB", $2 / 1048576 }' /proc/meminfo), Linux $(uname -r)" \
	--args '
	def tsv(col): split("\n") | map(select(length > 0) | split("\t") | {(.[0]): (.[col] | tonumber)}) | add;
	def tsv: tsv(1);
	{machine: $machine, notes: $ARGS.positional,
	 startup_ms: [$s | split("\n")[] | select(length > 0) | split("\t") |
	              {tool: .[0], median: (.[1] | tonumber), stddev: (.[2] | tonumber),
	               over_final_network_none: (.[3] | tonumber), over_floor: (.[4] | tonumber)}],
	 startup_blocks_ms: [$blocks[0].results[] | {tool: .command, median: (.median * 1000)}],
	 phases_ms: {network_none: ($none | tsv), bridge: ($bridge | tsv)},
	 oci_create_start_delete_ms: [$oci[0].results[] | {tool: .command, median: (.median * 1000)}],
	 podman_run_rm_ms: [$podman[0].results[] | {tool: .command, median: (.median * 1000)}],
	 peak_rss_kib: {final: $rss_final, runc: $rss_runc, crun: $rss_crun},
	 idle_container_kib: $per_container,
	 latency_vs_running_ms: ($scale | tsv),
	 floor_vs_running_ms: ($scale | tsv(2)),
	 final_over_floor_vs_running: ($scale | tsv(3)),
	 back_at_one_running: ($again | split("\t") | {final_ms: (.[1] | tonumber), floor_ms: (.[2] | tonumber),
	                                                 final_over_floor: (.[3] | tonumber)}),
	 fifty_at_once_ms: $burst,
	 pull_ms: {busybox_3MB: [$pull_small[0].results[] | {tool: .command, median: (.median * 1000)}],
	           with_64MB_layer: [$pull_big[0].results[] | {tool: .command, median: (.median * 1000)}]}}' \
	"${notes[@]}" >"$out/results.json"

echo
echo "machine: $(jq -r .machine "$out/results.json")"
for n in "${notes[@]}"; do echo "note: $n"; done
printf '\n%-22s %10s %10s %14s %8s\n' "start-to-exit" "median ms" "stddev" "x final(none)" "x floor"
jq -r '.startup_ms[] | "\(.tool)\t\(.median)\t\(.stddev)\t\(.over_final_network_none)\t\(.over_floor)"' "$out/results.json" |
	awk -F'\t' '{ printf "%-22s %10.2f %10.2f %14.2f %8.2f\n", $1, $2, $3, $4, $5 }'
printf '(medians of %s rounds; the ratios are medians of the rounds'"'"' ratios)\n' "$runs"
jq -r '.startup_blocks_ms | "\(.[0].median)\t\(.[1].median)"' "$out/results.json" |
	awk -F'\t' -v n="$runs" '{ printf "in blocks of %d (hyperfine, as the table was before): final --network none %.2f ms, the floor %.2f ms; %.2f\n", n, $1, $2, $1 / $2 }'
printf '\n%-22s %10s   %-22s %10s\n' "OCI create+start+delete" "median ms" "podman run --rm" "median ms"
jq -r 'range(0; .oci_create_start_delete_ms | length) as $i |
	"\(.oci_create_start_delete_ms[$i].tool)\t\(.oci_create_start_delete_ms[$i].median)\t\(.podman_run_rm_ms[$i].tool // "-")\t\(.podman_run_rm_ms[$i].median // "-")"' \
	"$out/results.json" | awk -F'\t' '{ printf "%-22s %10.2f   %-22s %10s\n", $1, $2, $3, ($4 == "-" ? $4 : sprintf("%.2f", $4)) }'
printf '\n%-52s %10s %10s\n' "phases of final run (mean ms)" "no network" "bridge"
paste "$out/phases-none.tsv" "$out/phases-bridge.tsv" |
	awk -F'\t' '{ printf "  %-50s %10.2f %10.2f\n", $1, $2, $4 }'
printf '\npeak RSS (KiB): final %s, runc %s, crun %s; an idle final container costs %s KiB\n' \
	"$rss_final" "$rss_runc" "$rss_crun" "$per_container"
printf 'start latency (median ms) with N containers running, paired with the floor:\n'
awk -F'\t' '{ printf "  N=%s: final %.1f, floor %.1f, final/floor %.2f\n", $1, $2, $3, $4 }' "$out/scale.tsv"
awk -F'\t' '{ printf "  N=1 again after: final %.1f, floor %.1f, final/floor %.2f\n", $2, $3, $4 }' "$out/scale-again.tsv"
awk -F'\t' 'NR == 1 { r = $4 } END { printf "  final/floor from N=1 to N=%s: %+.1f%%", $1, ($4 / r - 1) * 100 }' "$out/scale.tsv"
printf '\n50 containers started at once: %s ms\n' "$burst_ms"
printf '\n%-30s %14s %10s %16s %10s\n' "pull from loopback (median)" "busybox, ms" "x final" "+64 MB layer, ms" "x final"
jq -r '.pull_ms as $p | range(0; $p.busybox_3MB | length) |
	"\($p.busybox_3MB[.].tool)\t\($p.busybox_3MB[.].median)\t\($p.busybox_3MB[.].median / $p.busybox_3MB[0].median)\t\($p.with_64MB_layer[.].median)\t\($p.with_64MB_layer[.].median / $p.with_64MB_layer[0].median)"' \
	"$out/results.json" | awk -F'\t' '{ printf "%-30s %14.1f %10.2f %16.1f %10.2f\n", $1, $2, $3, $4, $5 }'

if ! command -v gnuplot >/dev/null; then
	echo "results: $out/results.json (no gnuplot: no plot)"
	exit 0
fi
gnuplot <<PLOT
set terminal png size 800,500
set output "$out/latency.png"
set title "final run (bridge) start-to-exit latency vs containers already running"
set xlabel "containers running"
set ylabel "median latency (ms)"
set yrange [0:*]
set grid
plot "$out/scale.tsv" using 1:2 with linespoints lw 2 title "final run --rm (bridge)", \
	"$out/scale.tsv" using 1:3 with linespoints lw 2 title "unshare (floor)"
PLOT
echo "results: $out/results.json, plot: $out/latency.png"
