#!/bin/sh
# The test VM's init (see tests/vm.sh). First pass: copy the initramfs into a
# tmpfs and switch_root to it, because pivot_root cannot leave the initial
# ramfs. Second pass: mount what a normal boot mounts, with cgroup v2 only,
# load the modules, and run the test suite.
if [ "$1" != booted ]; then
	mount -t tmpfs -o mode=755 tmpfs /newroot
	for d in /*; do
		case $d in /newroot | /proc | /sys | /dev) ;; *) cp -a "$d" /newroot/ ;; esac
	done
	mkdir -p /newroot/proc /newroot/sys /newroot/dev
	exec switch_root /newroot /init booted
fi

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs -o mode=1777 tmpfs /tmp
mkdir -p /run && mount -t tmpfs -o mode=755 tmpfs /run
mount -t cgroup2 cgroup2 /sys/fs/cgroup
hostname vm
ip link set lo up
for m in $(cat /repo/.vm-modules); do
	modprobe "$m" || echo "test-vm: modprobe $m failed"
done

echo "test-vm: kernel $(uname -r), cgroup controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
cd /repo
if [ -n "$(cat .vm-cmd)" ]; then
	sh -c "$(cat .vm-cmd)"
	echo "vm-exit-status: $?"
	poweroff -f
fi
# shellcheck disable=SC2046 # the runner's STAGE:BIN arguments, word-split on purpose
tests/build/runner $(cat .vm-args)
echo "vm-exit-status: $?"
poweroff -f
