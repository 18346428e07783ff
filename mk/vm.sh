#!/bin/bash
# make check-vm [VM_DISTRO=trixie]: the learner on nftables, proven on a
# kernel that has the nft queue. This host's kernel may lack it
# (CONFIG_NFT_QUEUE), and there every learner test skips on nft; Debian's
# own kernel has it as a module. A fresh root of the release is made as
# check-distro makes one (mk/distro-lib.sh: minbase, this checkout, make
# deps and make images), gets linux-image-amd64, an initramfs and the build
# (mk/vm-root.sh), becomes an ext4 disk image (mkfs.ext4 -d: no loop
# mount), and boots under qemu with 2 vCPUs, RB_VM_MEM MB, no network device
# at all (the simulated world lives inside the guest) and the serial
# console on stdout and in the log. The guest's init (mk/vm-guest.sh) runs
# make check on RB_FW_BACKEND=nft with VM_TESTS, where no learner test may
# skip, and prints "rb-vm: exit N": this script exits N, or 1 when the
# guest ended without saying (crashed, or killed at RB_VM_TIMEOUT seconds).
#
# Environment: VM_TESTS (make check's TESTS in the guest), VM_FILTER (a
# bats -f regular expression without spaces: only the tests it names),
# RB_VM_SLOW (the guest's RB_TEST_SLOW, default 4: test/helpers.bash), RB_VM_TIMEOUT
# (default 3600), RB_VM_TEST_TIMEOUT (the guest's BATS_TEST_TIMEOUT, default
# 1500), RB_VM_MEM (default 3072), RB_VM_ACCEL (auto, kvm or tcg: below),
# RB_VM_KEEP=1 (keep the root and the console log and say where),
# RB_VM_ROOT=DIR (again in a kept root, with the current checkout),
# RB_DISTRO_MIRROR and RB_DISTRO_CACHE as check-distro.
set -euo pipefail

DISTRO=${1:-trixie}
here=$(cd "$(dirname "$0")" && pwd)
TIMEOUT=${RB_VM_TIMEOUT:-3600}
MEM=${RB_VM_MEM:-3072}
TESTS=${VM_TESTS:-}

die() { echo "check-vm: $*" >&2; exit 1; }
distro_who=check-vm
# shellcheck source=mk/distro-lib.sh
. "$here/distro-lib.sh"

distro_valid "$DISTRO"
[ "$(id -u)" = 0 ] || die "needs root (debootstrap, mount namespaces, /dev/kvm)"
[ -n "$TESTS" ] || die "VM_TESTS is empty: the test files to run in the guest"
case $TIMEOUT in '' | *[!0-9]*) die "RB_VM_TIMEOUT=$TIMEOUT: not a number of seconds" ;; esac
FILTER=${VM_FILTER:-}
case $FILTER in *[[:space:]]*) die "VM_FILTER=$FILTER: a regular expression without spaces" ;; esac
SLOW=${RB_VM_SLOW:-4}
case $SLOW in '' | 0* | *[!0-9]*) die "RB_VM_SLOW=$SLOW: not a whole number from 1" ;; esac
case $MEM in '' | *[!0-9]*) die "RB_VM_MEM=$MEM: not a number of MB" ;; esac
if [ "$MEM" -lt 1024 ] || [ "$MEM" -gt 4096 ]; then
	die "RB_VM_MEM=$MEM: not within 1024..4096 MB"
fi
# KVM where it runs a stock kernel. This machine's /dev/kvm is PVM
# (kvm_pvm: a page-table-based KVM for machines that are guests
# themselves), which runs only kernels built as PVM guests: Debian's hits
# "emulation failure" in its decompressor, and booted past it (PVH) spends
# a minute in early boot, every privileged instruction emulated. There,
# and where there is no /dev/kvm, qemu's own TCG (a guest boots in 15 s).
ACCEL=${RB_VM_ACCEL:-auto}
if [ "$ACCEL" = auto ]; then
	ACCEL=tcg
	[ ! -w /dev/kvm ] || [ -d /sys/module/kvm_pvm ] || ACCEL=kvm
fi
if [ "$ACCEL" = kvm ]; then
	[ -w /dev/kvm ] || die "RB_VM_ACCEL=kvm: /dev/kvm is missing or not writable"
	accel=(-accel kvm -cpu host)
elif [ "$ACCEL" = tcg ]; then
	accel=(-accel "tcg,thread=multi" -cpu max)
else
	die "RB_VM_ACCEL=$ACCEL: not one of auto, kvm, tcg"
fi
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is missing (make deps)"

if [ -n "${RB_VM_ROOT:-}" ]; then
	root=$RB_VM_ROOT
	[ -x "$root/usr/bin/apt-get" ] || die "RB_VM_ROOT=$root: not a Debian root"
	RB_VM_KEEP=1
else
	root=$(mktemp -d "/var/tmp/rb-vm-$DISTRO-XXXXXX")
fi
img=$root.img
log=$root.console
cleanup() {
	local rc=$?
	if [ "${RB_VM_KEEP:-0}" = 1 ]; then
		echo "check-vm: root kept at $root, console log at $log" >&2
	else
		rm -rf --one-file-system "$root"
		rm -f "$log" "$log.first"
	fi
	rm -f "$img" "$root.out" "$root.vmlinuz" "$root.initrd"
	exit "$rc"
}
trap cleanup EXIT
# the root's namespaces die with unshare (KILL); timeout passes TERM on to
# qemu, which a KILL of timeout would leave running
child='' sig=KILL
trap '[ -z "$child" ] || kill -$sig "$child" 2>/dev/null; exit 130' INT TERM

t0=$(date +%s)
if [ -n "${RB_VM_ROOT:-}" ]; then
	echo "check-vm: $DISTRO: again in $root"
else
	distro_root_fill "$root" "$DISTRO"
fi
distro_checkout "$root"
rc=0
distro_enter "$root" "$DISTRO" mk/vm-root.sh &
child=$!
wait "$child" || rc=$?
child=
rm -f "$root.out"
[ "$rc" -eq 0 ] || die "$DISTRO: preparing the root failed (exit $rc)"

# What the guest boots from the host: the newest kernel of the root and
# its initramfs (the root keeps its own copies in /boot).
k=$(find "$root/boot" -maxdepth 1 -name 'vmlinuz-*' | sort -V | tail -n 1)
cp "$k" "$root.vmlinuz"
cp "$root/boot/initrd.img-${k#"$root"/boot/vmlinuz-}" "$root.initrd"
{
	printf 'VM_TESTS=%q\n' "$TESTS"
	printf 'VM_FILTER=%q\n' "$FILTER"
	printf 'RB_VM_SLOW=%q\n' "$SLOW"
	[ -z "${RB_VM_TEST_TIMEOUT:-}" ] || printf 'RB_VM_TEST_TIMEOUT=%q\n' "$RB_VM_TEST_TIMEOUT"
} >"$root/etc/rb-vm.conf"
# the root as it is, plus room for what the run writes (containers'
# layers, the world's logs, the build's TAP)
size=$(($(du -sxm "$root" | cut -f1) + 3072))
image() {
	rm -f "$img"
	truncate -s "${size}M" "$img"
	mkfs.ext4 -q -F -L rb-vm -d "$root" "$img" || die "mkfs.ext4 -d $root failed"
}
# -nic none -nodefaults: no network device, nothing but the disk and the
# serial console; stdin closed so the guest's console reads nothing
boot() {
	rc=0 sig=TERM
	timeout --kill-after=10 "$TIMEOUT" qemu-system-x86_64 -nodefaults -nic none \
		-machine q35 "${accel[@]}" -smp 2 -m "$MEM" \
		-display none -vga none -monitor none -serial stdio -no-reboot \
		-kernel "$root.vmlinuz" -initrd "$root.initrd" \
		-append "root=/dev/vda rw console=ttyS0 quiet panic=-1 init=/root/rb/mk/vm-guest.sh" \
		-drive "file=$img,format=raw,if=virtio,cache=unsafe" \
		</dev/null > >(sed -u 's/\r$//' | tee "$log") 2>&1 &
	child=$!
	wait "$child" || rc=$?
	child=
	# the console's last lines may still be in tee
	sleep 1
}
# exit_line: the guest's last `rb-vm: exit N`, if it printed one
exit_line() { grep -aE '^rb-vm: exit [0-9]+$' "$log" | tail -n 1 || true; }
image
t1=$(date +%s)
echo "check-vm: $DISTRO: image of ${size} MB, booting ${k##*/} ($ACCEL, 2 vCPUs, $MEM MB, no network device; timeout $TIMEOUT s)"
boot
# A guest kernel that panics before its run ends (seen once in CI, while
# podman started its first containers: an int3 of the kernel's own live
# code patching hit under qemu's multi-threaded TCG) boots once more from
# a fresh image; the first console stays beside the second. A test's
# failure is never retried, and a second panic fails.
if [ -z "$(exit_line)" ] && grep -qa 'Kernel panic - not syncing' "$log"; then
	echo "check-vm: $DISTRO: the guest's kernel panicked (console above): booting a fresh image once more"
	cp "$log" "$log.first"
	image
	boot
fi
t2=$(date +%s)

marker=$(exit_line)
summary=$(grep -aE '^rb-vm: [0-9]+ passed' "$log" | tail -n 1 | sed 's/^rb-vm: //' || true)
echo "check-vm: $DISTRO: ${summary:-no summary} (root $((t1 - t0)) s, guest $((t2 - t1)) s)"
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	die "$DISTRO: the guest did not end within $TIMEOUT s (RB_VM_TIMEOUT)"
fi
[ -n "$marker" ] || die "$DISTRO: the guest ended without an exit status (qemu exit $rc; console above)"
rc=${marker##* }
[ "$rc" -eq 0 ] || die "$DISTRO: the guest's make check failed (exit $rc)"
echo "check-vm: $DISTRO: passed"
