#!/usr/bin/env bash
# make test-mutants: prove that each claim can fail, for its mechanism.
#
#   tests/mutants.sh [tests/mutants/NAME.patch ...]     (default: all of them)
#
# Each patch in tests/mutants/ removes one mechanism from one step (or from
# final) and names, in its header, the tests that must catch it:
#
#   Mutant: step02-no-private-mounts
#   Claim: step 02: MS_REC|MS_PRIVATE: mounts inside do not reach the host
#   Directory: step02-unshare
#   Stage: 2
#   Caught-by: mounts_inside_do_not_reach_the_host[,another_test...]
#
# For each one: copy the directory, apply the patch, build it (WERROR=0: a
# removed call may leave its function unused; final's from a copy of one
# build of the unpatched sources, so that only what the patch touched is
# compiled again), run the stage's Caught-by
# tests against it (RUNNER_ONLY), and require every one of them to fail —
# and not with a usage error (exit 2, "usage:"), which would prove nothing
# about the mechanism. Exits 1 if any mutant survives. A patch may say
#   Needs: PATH...
# when its claim is visible only where one of those files exists (swap
# accounting): elsewhere it is reported skipped, and counted as such.
set -u
cd "$(dirname "$0")/.."
runner=tests/build/runner
[ -x "$runner" ] || { echo "mutants: build the tests first (make -C tests)" >&2; exit 2; }
work=$(mktemp -d /tmp/mutants-XXXXXX)
chmod 755 "$work" # the rootless tests run the mutant as an ordinary user
trap 'rm -rf --one-file-system "$work"' EXIT

# What a mutant's runs leave behind (a mutant that skips its cleanup, a test
# that times out and SIGKILLs it): the tutorial's cgroups and state files.
leftovers() {
	find /sys/fs/cgroup -mindepth 2 -maxdepth 3 -type d -path '*/containers-in-c/*' 2>/dev/null
	find /run/containers-in-c -mindepth 1 -maxdepth 1 2>/dev/null
}

# Remove what appeared during one mutant's run: state files, and cgroups of
# runtimes that are gone (stepNN-PID, PID dead; a live one is someone else's).
clean_up_after() {
	leftovers | sort | comm -13 "$1" - | while read -r path; do
		case $path in
		/sys/fs/cgroup/*) [ -d "/proc/${path##*-}" ] || rmdir "$path" 2>/dev/null ;;
		*) rm -f "$path" ;;
		esac
	done
}

[ $# -gt 0 ] || set -- tests/mutants/*.patch
mutant_cflags="-std=gnu11 -Wall -Wextra -O2 -g"
killed=0 survived=0 skipped=0
for patch; do
	name=$(sed -n 's/^Mutant: //p' "$patch")
	dir=$(sed -n 's/^Directory: //p' "$patch")
	stage=$(sed -n 's/^Stage: //p' "$patch")
	tests=$(sed -n 's/^Caught-by: //p' "$patch")
	# Needs: files of which one must exist for the claim to be visible here at all
	needs=$(sed -n 's/^Needs: //p' "$patch")
	have=false
	for f in $needs; do [ -e "$f" ] && have=true; done
	if [ -n "$needs" ] && ! $have; then
		echo "skipped  $name: this machine has none of $needs"
		skipped=$((skipped + 1)); continue
	fi
	# The usual flags without -Werror (final's Makefile appends its own to these).
	# final's binary keeps its name: the OCI tests run it as NAME-oci, the link
	# `make` makes beside it, and only a link called final-oci speaks OCI.
	src=$work/src bin=$work/bin
	rm -rf "${work:?}/src" "$work/m"
	if [ "$dir" = final ]; then
		# From a copy of one build of the unpatched sources (at the same paths
		# each time, so that its objects hold): make recompiles what the patch
		# touched (final's Makefile keeps an object per source).
		src=$work/m/src bin=$work/m/final
		if [ ! -d "$work/final-base" ]; then
			mkdir -p "$src" && cp -a final "$src/"
			CFLAGS="$mutant_cflags" make -s -j"$(nproc)" -C "$src/final" OUT="$bin" WERROR=0 \
				>"$work/log" 2>&1 || { echo "mutants: final does not build"; cat "$work/log"; exit 2; }
			mv "$work/m" "$work/final-base"
			# sources older than what was built from them, and both older than
			# a patch: on a filesystem that keeps whole seconds, a patch in the
			# second of the build would otherwise leave an object unpatched
			find "$work/final-base/src" -type f -exec touch -d '2 hours ago' {} +
			find "$work/final-base" -path "$work/final-base/src" -prune -o -type f \
				-exec touch -d '1 hour ago' {} +
		fi
		cp -a "$work/final-base" "$work/m"
	else
		mkdir -p "$src" && cp -a "$dir" "$src/"
	fi
	if ! patch -s -d "$src" -p1 <"$patch" >"$work/log" 2>&1; then
		echo "SURVIVED $name: the patch no longer applies to $dir"; cat "$work/log"
		survived=$((survived + 1)); continue
	fi
	if ! CFLAGS="$mutant_cflags" make -s -j"$(nproc)" -C "$src/$dir" OUT="$bin" \
		WERROR=0 >"$work/log" 2>&1; then
		echo "SURVIVED $name: it does not build"; cat "$work/log"
		survived=$((survived + 1)); continue
	fi
	leftovers | sort >"$work/before"
	# In namespaces of its own: a mutant may do to the machine what its
	# missing mechanism was there to prevent (rename it, mount on it).
	RUNNER_ONLY=$tests unshare --uts --ipc --mount --propagation private \
		"$runner" "$stage:$bin" >"$work/out" 2>&1
	clean_up_after "$work/before"
	ok=true
	for t in ${tests//,/ }; do
		line=$(grep -E "^[^ ]+:[0-9]+:[FE]:$t:" "$work/out" | head -n1)
		if [ -z "$line" ]; then
			echo "SURVIVED $name: $t passes without the mechanism"; ok=false
		elif printf '%s' "$line" | grep -qE 'exit status 2,|usage:'; then
			echo "SURVIVED $name: $t fails only on the command line: $line"; ok=false
		else
			echo "killed   $name: $t: $(printf '%s' "$line" | sed 's/^\([^:]*:\)\{6\} *//')" |
				cut -c1-200
		fi
	done
	if $ok; then killed=$((killed + 1)); else survived=$((survived + 1)); cat "$work/out"; fi
done
echo "mutants: $killed killed, $survived survived, $skipped skipped"
[ "$survived" -eq 0 ]
