#!/bin/sh
# Build the tutorial's root filesystem in DIR, offline, from Debian's
# busybox-static: one static busybox binary, a link per applet, a few files
# in /etc, and empty mount points. `make rootfs` runs this; it is rebuilt
# whenever this script changes.
#
#   tests/mkrootfs.sh DIR
set -eu

dest=${1:?usage: mkrootfs.sh DIR}
busybox=${BUSYBOX:-/bin/busybox}

die() { echo "mkrootfs: $*" >&2; exit 1; }

[ -x "$busybox" ] || die "$busybox not found: run 'sudo make deps' (package busybox-static)"
file_type=$(LC_ALL=C od -An -c -N4 "$busybox" | tr -d ' ')
[ "$file_type" = '177ELF' ] || die "$busybox is not an ELF binary"

# Never delete through a mount: a container that is still running (or one a
# learner's step forgot to unmount) may have /proc or a bind mount in here.
abs=$(realpath -m "$dest")
if awk -v d="$abs" '$5 == d || index($5, d "/") == 1 { found = 1 } END { exit !found }' \
	/proc/self/mountinfo; then
	die "something is mounted under $abs; unmount it first (see: grep $abs /proc/self/mountinfo)"
fi

tmp="$abs.tmp.$$"
trap 'rm -rf --one-file-system "$tmp"' EXIT
mkdir -p "$tmp"
cd "$tmp"
mkdir -p bin sbin usr/bin usr/sbin etc proc sys dev tmp root home var/tmp
chmod 1777 tmp var/tmp
chmod 700 root
cp "$busybox" bin/busybox
for applet in $("$busybox" --list-full); do
	case $applet in linuxrc) continue ;; esac
	[ -e "$applet" ] || ln -s /bin/busybox "$applet"
done

cat > etc/passwd <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat > etc/group <<'GROUP'
root:x:0:
nogroup:x:65534:
GROUP
echo rootfs > etc/hostname
: > etc/resolv.conf # a mount point for the runtime's own, so ROOTFS is never changed
cat > etc/os-release <<'OSREL'
NAME="containers-in-c tutorial rootfs"
ID=containers-in-c
PRETTY_NAME="containers-in-c tutorial rootfs (busybox)"
OSREL
cd - >/dev/null

rm -rf --one-file-system "$abs"
mv "$tmp" "$abs"
trap - EXIT
