#!/bin/bash
# PID 1 of check-vm's guest (mk/vm.sh boots it with init= this file):
# mounts what a system without an init has to mount itself, runs `make
# check` on RB_FW_BACKEND=nft with TESTS from /etc/rb-vm.conf and
# RB_LEARNER_REQUIRED=1, prints the TAP, whether any learner test skipped
# anyway, and "rb-vm: exit N" (what mk/vm.sh returns), then powers off.
# Everything goes to the serial console, which the host logs.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
export LANG=C.UTF-8 TERM=dumb
set -u

off() {
	sync
	echo o >/proc/sysrq-trigger
	# PID 1 must not end: its end is a panic (panic=-1 and qemu's -no-reboot
	# stop the guest then too, but with no marker)
	while :; do sleep 60; done
}
finish() {
	echo "rb-vm: exit $1"
	off
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=0620,ptmxmode=0666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t cgroup2 cgroup2 /sys/fs/cgroup
# podman's cgroupfs manager puts containers below the root: hand it the
# controllers that limits (memory, pids, cpu) need
for c in cpu io memory pids cpuset; do
	echo "+$c" >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || true
done
hostname rb-vm
ip link set lo up
# what a host's init gives its services: the suite's containers ask for
# podman's default rlimits (mk/deps.sh) and runc raises to them
ulimit -Hn 1048576 && ulimit -Sn 1048576
# modules that nothing asks the kernel for by name before they are needed.
# ip_tables and ip6_tables are left to rb: rb-fw-apply loads them when the
# xtables backend is asked for (021's and 025's xtables halves fail here
# without that), and ip_set loads on demand: rb creates its sets through
# nfnetlink.
for m in br_netfilter overlay veth bridge nft_queue nfnetlink_queue nfnetlink_log; do
	modprobe "$m" || echo "rb-vm: modprobe $m failed"
done

# shellcheck disable=SC1091
. /etc/rb-vm.conf || finish 2
echo "rb-vm: $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo) MB"
cd /root/rb || finish 2
# Under qemu's TCG the suite runs several times slower than on the host:
# the per-test and per-command limits grow with it (a hang still fails)
export BATS_TEST_TIMEOUT=${RB_VM_TEST_TIMEOUT:-1500} RB_RUN_TIMEOUT=600
# and the tests whose answers must live through a few podman execs, or
# that time a burst, scale those by RB_TEST_SLOW (test/helpers.bash)
# and bursts of many commands shrink (070's 1,000 names: 2 s each here)
export RB_TEST_SLOW=${RB_VM_SLOW:-4} RB_TEST_SHRINK=10
echo "rb-vm: RB_TEST_SLOW=$RB_TEST_SLOW RB_TEST_SHRINK=$RB_TEST_SHRINK${VM_FILTER:+, only tests matching $VM_FILTER}"
rc=0
RB_FW_BACKEND=nft RB_LEARNER_REQUIRED=1 make --no-print-directory check CHECK_LINT=0 \
	RB_FW_BACKEND=nft TESTS="$VM_TESTS" ${VM_FILTER:+BATS_FLAGS="--print-output-on-failure --timing -f $VM_FILTER"} 2>&1 || rc=$?
# The proof is that the learner ran: any test skipped for want of the
# queue (rb_need_learner's reason) fails the run even if the guard in
# test/helpers.bash was bypassed.
if grep -E '^ok [0-9]+ .*# skip.*(NFQUEUE|no queue)' build/check.tap; then
	echo "rb-vm: learner tests skipped above: this kernel's nft queue did not serve them"
	[ "$rc" -ne 0 ] || rc=1
fi
echo "rb-vm: $(grep -c '^ok' build/check.tap) passed ($(grep -c '^ok .*# skip' build/check.tap) skipped), $(grep -c '^not ok' build/check.tap) failed"
finish "$rc"
