#!/usr/bin/env bash
# make test-vm: run the whole test suite in a VM, on Debian's own kernel with
# pure cgroup v2 (most learners' layout; the development machines are hybrid).
#
#   tests/vm.sh STAGE:BIN...      the runner's arguments, as `make test` passes them
#   VM_CMD='...' tests/vm.sh ...  run this shell command in the VM instead (debugging)
#   VM_OCI=1 ...                  also put the OCI validation suite in (make test-oci-vm)
#   VM_BENCH=1 ...                also put make bench's script and tools in (make bench-vm)
#
# The kernel comes from Debian's linux-image package, fetched with
# `apt-get download` into .cache/vm/ (never installed on this machine). The
# VM's root is an initramfs: busybox, the step binaries, the test runner,
# the test rootfs, the shared libraries they need, and the kernel modules the
# tests use. qemu runs it under TCG (no KVM needed); the guest's init prints
# the runner's exit status, which becomes ours.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=$top/.cache/vm
timeout_s=${VM_TIMEOUT:-900}
# Modules for the network step and final/ (overlayfs; loop: the device tests'
# "host disk"); missing ones are skipped.
# crc32c_generic first: libcrc32c (for nf_tables) needs it, as a soft dependency.
modules="crc32c_generic veth bridge overlay loop nf_tables nft_chain_nat nft_masq nft_nat nf_nat nft_fib nft_fib_ipv4 tun fuse"
# Host programs the tests and steps run, copied in with their libraries:
# iproute2 and nft for the networks, a registry and skopeo for final pull,
# strace to hold a syscall open in the lifecycle tests, util-linux's losetup
# for the device tests (busybox's has no --show).
host_tools="$(command -v ip) $(command -v nft) $(command -v docker-registry) $(command -v skopeo)
	$(command -v strace) $(command -v losetup)
	$(command -v useradd) $(command -v usermod) $(command -v userdel)
	$(command -v newuidmap) $(command -v newgidmap) $(command -v slirp4netns)
	$(command -v fuse-overlayfs)"
# VM_OCI=1: also the OCI runtime-tools validation suite (validate.sh beside the
# repository in ../shared/oci, its build in /var/cache/oci-runtime-tools) and
# the GNU tools validate.sh and the suite's executables use (busybox's lack
# realpath -s, date +%s%N, grep -z...), at the host's paths.
oci_lib=${OCI_LIB:-$top/../shared/oci}
oci_rt_tools=${OCI_RT_TOOLS:-/var/cache/oci-runtime-tools}
oci_tools="bash jq findmnt timeout unshare nsenter flock mktemp stat comm realpath date grep sed awk sort
	uniq cut xargs find tar gzip sleep mount umount tee wc id head tail cat rm rmdir cp mv mkdir
	chmod touch ln ls basename dirname readlink env ps"
vm_mem=${VM_MEM:-2048}
# VM_BENCH=1: tests/bench/bench.sh, the rootfs it runs (make rootfs) and the
# tools it compares and reports with, at the host's paths (podman and gnuplot
# stay out: the bench skips them and says so).
bench_tools="bash hyperfine jq runc crun bwrap unshare umoci dpkg /usr/bin/time seq date awk sort stat
	mountpoint tar gzip dd sed grep"

die() { echo "test-vm: $*" >&2; exit 2; }
[ $# -gt 0 ] || die "usage: tests/vm.sh STAGE:BIN..."
command -v qemu-system-x86_64 >/dev/null || die "no qemu-system-x86_64: run 'sudo make deps-vm'"

# The kernel package linux-image-amd64 points to, unpacked once into the cache.
fetch_kernel() {
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		awk '/Depends: linux-image-[0-9]/ && !found { print $2; found = 1 }')
	[ -n "$pkg" ] || die "apt knows no linux-image-amd64: run 'apt-get update'"
	kver=${pkg#linux-image-}
	kdir=$cache/$pkg
	if [ ! -e "$kdir/.unpacked" ]; then
		echo "=> apt-get download $pkg"
		rm -rf "$kdir" && mkdir -p "$kdir"
		(cd "$kdir" && apt-get download -q "$pkg" 2>/dev/null)
		dpkg-deb -x "$kdir"/*.deb "$kdir"
		rm -f "$kdir"/*.deb
		depmod -b "$kdir" "$kver" # the package ships no modules.dep
		touch "$kdir/.unpacked"
	fi
}

# Copy FILE and the shared libraries it loads, at the same paths, into $root.
copy_with_libs() {
	local f
	for f in "$1" $(ldd "$1" 2>/dev/null | grep -o '/[^ ]*'); do
		[ -e "$root$f" ] || { mkdir -p "$root$(dirname "$f")" && cp -L "$f" "$root$f"; }
	done
}

# Copy MODULE and the modules it depends on (from modules.dep) into $root.
copy_module() {
	local line deps path m=$1
	line=$(grep -E "(^|/)$m\.ko(\.[a-z]+)?:" "$kdir/lib/modules/$kver/modules.dep") || return 0
	deps=${line#*:}
	for path in ${line%%:*} $deps; do
		mkdir -p "$root/lib/modules/$kver/$(dirname "$path")"
		cp "$kdir/lib/modules/$kver/$path" "$root/lib/modules/$kver/$path"
	done
}

# Each of the commands TOOLS at its host path (in place of a busybox applet
# there), with its libraries, and bash at /bin/bash for the scripts.
copy_tools() {
	local f t
	for t in $1; do
		f=$(command -v "$t") || die "no $t on this machine: run 'sudo make deps'"
		rm -f "$root$f"
		copy_with_libs "$f"
	done
	[ -e "$root/bin/bash" ] || ln -s "$(command -v bash)" "$root/bin/bash"
}

# The OCI validation suite at the host's paths: validate.sh and its files, the
# suite's executables (debug info stripped: 183 MB -> less, the VM's root is in
# RAM twice), runtimetest, the rootfs tarball, and the tools it runs.
copy_oci_suite() {
	local f
	[ -f "$oci_lib/validate.sh" ] || die "no $oci_lib/validate.sh"
	[ -f "$oci_rt_tools/.build-ok" ] || die "no built suite in $oci_rt_tools (run validate.sh once on the host)"
	mkdir -p "$root$oci_lib" "$root$oci_rt_tools"
	cp "$oci_lib"/*.sh "$root$oci_lib/"
	cp "$oci_rt_tools"/{.build-ok,runtimetest,rootfs-amd64.tar.gz} "$root$oci_rt_tools/"
	for f in "$oci_rt_tools"/validation/*/*.t; do
		mkdir -p "$root$(dirname "$f")"
		strip --strip-debug -o "$root$f" "$f" 2>/dev/null || cp "$f" "$root$f"
		copy_with_libs "$f"
	done
	copy_tools "$oci_tools"
}

copy_bench() {
	[ -d "$top/rootfs/bin" ] || die "no $top/rootfs: run 'make rootfs'"
	copy_tools "$bench_tools"
	mkdir -p "$root/repo/tests/bench"
	cp "$top/tests/bench/bench.sh" "$root/repo/tests/bench/"
	cp -a "$top/rootfs" "$root/repo/rootfs"
}

build_initramfs() {
	root=$(mktemp -d "$cache/root.XXXXXX")
	trap 'rm -rf --one-file-system "$root"' EXIT
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,var/tmp,newroot,repo/tests/build}
	chmod 1777 "$root/tmp" "$root/var/tmp"
	cp /bin/busybox "$root/bin/busybox"
	for applet in $(/bin/busybox --list-full); do
		[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
	# useradd, usermod and userdel (--userns=remap's user, the rootless tests' users) read
	# these; newuidmap and newgidmap are setuid root (the copy lost the bit)
	cp /etc/login.defs "$root/etc/"
	: >"$root/etc/subuid"
	: >"$root/etc/subgid"

	# The repository's binaries at the same relative paths, so the runner's
	# arguments mean the same thing inside.
	local arg binpath
	for arg in "$@"; do
		binpath=${arg#*:}
		mkdir -p "$(dirname "$root/repo/$binpath")"
		cp "$top/$binpath" "$root/repo/$binpath"
		copy_with_libs "$top/$binpath" >/dev/null
		# final's second name, the OCI runtime (final/Makefile makes the same link)
		[ "${binpath##*/}" != final ] || ln -sf final "$root/repo/${binpath%/*}/final-oci"
	done
	# Real tools where the tests need more than busybox's applets.
	local tool
	for tool in $host_tools; do
		rm -f "$root$tool"
		copy_with_libs "$tool"
	done
	chmod u+s "$root$(command -v newuidmap)" "$root$(command -v newgidmap)"
	# Libraries final loads with dlopen() (ldd cannot see them; final/dl.h).
	local lib soname
	for soname in libarchive.so.13 libcurl.so.4 libjansson.so.4 libcrypto.so.3; do
		# (awk reads to the end: an early exit made ldconfig die of SIGPIPE, 141 under pipefail)
		lib=$(ldconfig -p | awk -v so="$soname" '$1 == so && !found { print $NF; found = 1 }')
		[ -n "$lib" ] || die "no $soname on this machine: run 'sudo make deps'"
		copy_with_libs "$lib"
	done
	# The runner and the pull tests' tools (tests/Makefile).
	for tool in runner mkimage regserver; do
		cp "$top/tests/build/$tool" "$root/repo/tests/build/$tool"
		copy_with_libs "$top/tests/build/$tool"
	done
	cp "$top/tests/build/busybox-layer.tar.gz" "$root/repo/tests/build/"
	cp "$top/tests/stress-exec.sh" "$root/repo/tests/" # for VM_CMD
	mkdir -p "$root/etc/containers"
	cp /etc/containers/policy.json "$root/etc/containers/" 2>/dev/null || true
	cp -a "$top/tests/build/rootfs" "$root/repo/tests/build/rootfs"
	printf '%s\n' "$*" >"$root/repo/.vm-args"
	printf '%s\n' "${VM_CMD:-}" >"$root/repo/.vm-cmd"

	[ -z "${VM_OCI:-}" ] || copy_oci_suite
	[ -z "${VM_BENCH:-}" ] || copy_bench
	cp "$kdir/lib/modules/$kver"/modules.* "$root/tmp/" 2>/dev/null || true
	mkdir -p "$root/lib/modules/$kver"
	mv "$root/tmp"/modules.* "$root/lib/modules/$kver/"
	for m in $modules; do copy_module "$m"; done
	echo "$modules" >"$root/repo/.vm-modules"

	cp "$top/tests/vm-init.sh" "$root/init"
	chmod +x "$root/init"
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$cache/initramfs.gz"
}

fetch_kernel
build_initramfs "$@"
echo "=> booting $pkg under qemu (TCG, pure cgroup v2); timeout ${timeout_s}s"
log=$cache/console.log
set +e
timeout --foreground -k 5 "$timeout_s" qemu-system-x86_64 \
	-machine q35 -accel tcg,thread=multi -cpu max -smp 2 -m "$vm_mem" \
	-nographic -no-reboot -nic none \
	-kernel "$kdir/boot/vmlinuz-$kver" -initrd "$cache/initramfs.gz" \
	-append "console=ttyS0 quiet loglevel=3 panic=-1 cgroup_no_v1=all" </dev/null |
	sed -u 's/\r//g' | tee "$log"
qemu_status=${PIPESTATUS[0]}
set -e
if [ "$qemu_status" = 124 ]; then
	echo "test-vm: the VM did not finish within ${timeout_s}s; killed it (console log: $log)" >&2
	exit 1
fi
status=$(sed -n 's/^vm-exit-status: \([0-9]*\)$/\1/p' "$log" | tail -n 1)
[ -n "$status" ] || { echo "test-vm: the VM stopped without a result (console log: $log)" >&2; exit 1; }
# The suite's own summary, last, after the kernel's shutdown messages.
sed -n 's/^total: \([0-9]* passed, [0-9]* failed.*\)$/test-vm: \1/p' "$log" | tail -n 1
exit "$status"
