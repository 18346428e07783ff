#!/bin/bash
# PID 1 of the mount and PID namespaces of `make check-distro` and `make
# check-vm` (mk/distro-lib.sh distro_enter): turns $ROOT into this
# namespace's /, runs make deps and make images there, then $NEXT.
# runc needs a real root: in a plain chroot its setns(mnt) would land
# `podman exec` in the host's filesystem, hence pivot_root; and podman
# import refuses a / that is not a mount point, hence the bind onto itself.
set -euo pipefail

R=$ROOT
# not for the suite: nothing below may see where the root is on the host
unset ROOT
mount --rbind "$R" "$R"
mount -t proc proc "$R/proc"
mount -t sysfs sysfs "$R/sys"
mount --rbind /sys/fs/cgroup "$R/sys/fs/cgroup"
# kept for the network namespace below, whose sysfs is a new one
mkdir -p "$R/mnt/rb-cgroup"
mount --rbind /sys/fs/cgroup "$R/mnt/rb-cgroup"
mount --rbind /dev "$R/dev"
mount -t tmpfs -o mode=0755 tmpfs "$R/run"
cd "$R"
mkdir -p .rb-host
pivot_root . .rb-host
cd /
umount -l /.rb-host
rmdir /.rb-host

cd /root/rb
# shellcheck disable=SC1091
echo "distro: $DISTRO: $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)"
# What a new user runs, with the package mirror: install, build the images.
bash mk/deps.sh
make --no-print-directory images
echo "distro: $DISTRO: $(podman --version), $(/usr/lib/podman/netavark --version 2>/dev/null || echo netavark ?)"

# The caller's stage (mk/distro-lib.sh distro_enter): the suite for
# check-distro, the guest's kernel for check-vm.
exec bash "$NEXT"
