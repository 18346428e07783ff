#!/bin/bash
# make check-distro DISTRO=bookworm|trixie|sid: the fresh-machine proof.
# Builds a fresh Debian root of that release (debootstrap minbase), copies
# this checkout into it, and there, as a new user would: `make deps` and
# `make images` (with the package mirror), then `make check` and, where
# asked, `make check-san` in a private network namespace that has only
# loopback, so nothing it starts can collide with the host's bottles,
# worlds and chains or leave the machine. Prints the counts; removes the
# root and everything started in it, also on failure; then checks that the
# host's podman, rules and mounts are as they were.
#
# Environment: DISTRO_TARGETS (default "check check-san"), RB_FW_BACKEND
# and TESTS (passed to make), RB_DISTRO_MIRROR, RB_DISTRO_CACHE (a cached
# minbase tarball per release: what a fresh machine has; nothing make deps
# installs is cached), RB_DISTRO_KEEP=1 (keep the root and say where),
# RB_DISTRO_ROOT=DIR (run again in a kept root: for working on the target),
# RB_DISTRO_HOST_CHECK=0 (skip the host comparison when other work runs
# podman on this host at the same time).
set -euo pipefail

DISTRO=${1:-}
here=$(cd "$(dirname "$0")" && pwd)
TARGETS=${DISTRO_TARGETS:-check check-san}

die() { echo "check-distro: $*" >&2; exit 1; }
distro_who=check-distro
# shellcheck source=mk/distro-lib.sh
. "$here/distro-lib.sh"

distro_valid "$DISTRO"
for t in $TARGETS; do
	case $t in check | check-san | check-unit) ;; *) die "DISTRO_TARGETS: unknown target '$t'" ;; esac
done
[ "$(id -u)" = 0 ] || die "needs root (debootstrap, mount and network namespaces)"

# What the host holds that a run in the root must not change.
host_state() {
	# name and state, not how long ago (Podman 4's State reads "Up 15 minutes ago")
	echo "== podman containers"; podman ps -a --format '{{.Names}} {{.State}}' 2>/dev/null | awk '{ print $1, $2 }' | sort
	echo "== podman networks"; podman network ls --format '{{.Name}}' 2>/dev/null | sort
	echo "== iptables-legacy"; iptables-legacy-save 2>/dev/null | sed -E '/^#/d; s/\[[0-9]+:[0-9]+\]//'
	echo "== nftables"; nft list ruleset 2>/dev/null | sed -E 's/counter packets [0-9]+ bytes [0-9]+/counter/'
	echo "== links"; ip -o link | awk '{print $2}' | sort
	# Podman's overlay driver binds its own home onto itself when a command
	# starts and unmounts it when one ends with no layer mounted: podman's
	# bookkeeping, there or not by whichever podman ran last, never rb's.
	echo "== mounts"; awk '{print $5}' /proc/self/mountinfo | grep -vx '.*/containers/storage/overlay' | sort
}

if [ -n "${RB_DISTRO_ROOT:-}" ]; then
	root=$RB_DISTRO_ROOT
	[ -x "$root/usr/bin/apt-get" ] || die "RB_DISTRO_ROOT=$root: not a Debian root"
	RB_DISTRO_KEEP=1
else
	root=$(mktemp -d "/var/tmp/rb-distro-$DISTRO-XXXXXX")
fi
before=$(mktemp "/var/tmp/rb-distro-$DISTRO-host-XXXXXX")
cleanup() {
	local rc=$?
	if [ "${RB_DISTRO_KEEP:-0}" = 1 ]; then
		echo "check-distro: root kept at $root" >&2
	else
		rm -rf --one-file-system "$root"
	fi
	rm -f "$before" "$root.out"
	exit "$rc"
}
trap cleanup EXIT
child=
trap '[ -z "$child" ] || kill -KILL "$child" 2>/dev/null; exit 130' INT TERM

[ "${RB_DISTRO_HOST_CHECK:-1}" = 0 ] || host_state >"$before"

t0=$(date +%s)
if [ -n "${RB_DISTRO_ROOT:-}" ]; then
	echo "check-distro: $DISTRO: again in $root"
else
	distro_root_fill "$root" "$DISTRO"
fi
distro_checkout "$root"
t1=$(date +%s)

rc=0
# (make's ?= keeps an empty TESTS from the environment: pass only what is set)
pass=()
[ -z "${RB_FW_BACKEND:-}" ] || pass+=("RB_FW_BACKEND=$RB_FW_BACKEND")
[ -z "${TESTS:-}" ] || pass+=("TESTS=$TESTS")
[ -z "${CHECK_REMOTE:-}" ] || pass+=("CHECK_REMOTE=$CHECK_REMOTE")
distro_enter "$root" "$DISTRO" mk/distro-check.sh "${pass[@]}" TARGETS="$TARGETS" &
child=$!
wait "$child" || rc=$?
child=
t2=$(date +%s)

summary=$(grep -E '^distro:' "$root.out" | sed 's/^distro: //' | tr '\n' ';' || true)
rm -f "$root.out"
echo "check-distro: $DISTRO: ${summary% ;} (root $((t1 - t0)) s, run $((t2 - t1)) s)"
[ "$rc" -eq 0 ] || die "$DISTRO: failed (exit $rc)"

if [ "${RB_DISTRO_HOST_CHECK:-1}" != 0 ]; then
	after=$(host_state)
	if ! diff -u "$before" - <<<"$after" >&2; then
		die "$DISTRO: the host's podman, rules, links or mounts changed (diff above)"
	fi
	echo "check-distro: $DISTRO: the host's podman, rules, links and mounts are unchanged"
fi
