#!/bin/bash
# check-vm's stage in the root (mk/distro-root.sh runs it after make deps
# and make images): what the guest boots and runs beyond that. Debian's own
# kernel (its nftables has the queue: CONFIG_NFT_QUEUE=m) with an initramfs
# that finds a virtio disk, and the build, so that the guest only tests.
set -euo pipefail
cd /root/rb
export DEBIAN_FRONTEND=noninteractive
if ! dpkg-query -W -f='${Status}' linux-image-amd64 2>/dev/null | grep -q 'install ok installed'; then
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends linux-image-amd64 initramfs-tools >/tmp/vm-kernel.log 2>&1 ||
		{ tail -n 20 /tmp/vm-kernel.log >&2; echo "vm: cannot install linux-image-amd64" >&2; exit 1; }
fi
k=$(find /boot -maxdepth 1 -name 'vmlinuz-*' | sort -V | tail -n 1)
if [ -z "$k" ] || [ ! -s "/boot/initrd.img-${k#/boot/vmlinuz-}" ]; then
	echo "vm: no kernel with an initramfs in /boot" >&2
	exit 1
fi
grep -qx 'CONFIG_NFT_QUEUE=[ym]' "/boot/config-${k#/boot/vmlinuz-}" ||
	{ echo "vm: ${k#/boot/} has no CONFIG_NFT_QUEUE" >&2; exit 1; }
make --no-print-directory -j2 all test-helpers >/tmp/vm-build.log 2>&1 ||
	{ tail -n 30 /tmp/vm-build.log >&2; echo "vm: the build failed" >&2; exit 1; }
echo "distro: $DISTRO: guest kernel ${k#/boot/vmlinuz-}, build ready"
