#!/bin/bash
# check-distro's stage in the root (mk/distro-root.sh runs it after make deps
# and make images): DISTRO_TARGETS in a network namespace with only
# loopback, so that nothing the suite starts collides with the host's
# bottles or leaves the machine.
set -euo pipefail
cd /root/rb
# shellcheck disable=SC2016
exec unshare --net --mount --propagation private -- bash -c '
	set -uo pipefail
	ip link set lo up
	mount -t sysfs sysfs /sys
	mount --rbind /mnt/rb-cgroup /sys/fs/cgroup
	rc=0
	for t in $TARGETS; do
		make --no-print-directory "$t" 2>&1 | tee "/tmp/$t.log"
		r=${PIPESTATUS[0]}
		echo "distro: $DISTRO $t${RB_FW_BACKEND:+ (RB_FW_BACKEND=$RB_FW_BACKEND)}: $(grep "^check:" "/tmp/$t.log" | tail -n 1 | sed "s/^check: //") (exit $r)"
		[ "$r" -eq 0 ] || rc=$r
	done
	exit $rc
'
