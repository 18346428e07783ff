#!/bin/bash
# make check's remote pass: the end-to-end suites again with podman as a
# podman machine's client sees it. podman's API service listens on a unix
# socket of its own, CONTAINER_HOST points every podman call of the suites
# at it, and every make target and script of rb hands its steps to the
# rb-tools container (mk/remote.sh); test/080-remote.bats also runs the
# client side in a container of its own with only that socket.
# Usage: mk/check-remote.sh TAP BATS-FILE...   (RB_BUILD, BATS_FLAGS from make)
set -uo pipefail

tap=$1
shift
dir=$(mktemp -d /run/rb-check-remote.XXXXXX) || exit 2
sock=$dir/podman.sock
log=${tap%.tap}-service.log
# its own session, so that make's signals reach it only through the trap
setsid podman system service --time=0 "unix://$sock" </dev/null >"$log" 2>&1 &
svc=$!
stop_service() {
	kill "$svc" 2>/dev/null
	wait "$svc" 2>/dev/null
	rm -rf "$dir"
}
trap stop_service EXIT
trap 'exit 130' INT TERM
for _ in $(seq 100); do
	[ -S "$sock" ] && podman --url "unix://$sock" version >/dev/null 2>&1 && break
	kill -0 "$svc" 2>/dev/null || break
	sleep 0.2
done
if ! podman --url "unix://$sock" version >/dev/null 2>&1; then
	echo "check: podman system service did not answer on $sock; its log:" >&2
	tail -n 20 "$log" >&2
	exit 2
fi
echo "check: remote pass: podman service on $sock (CONTAINER_HOST), rb's steps in localhost/rb-tools"
export CONTAINER_HOST=unix://$sock RB_PODMAN_SOCKET=$sock RB_MODE=remote
# shellcheck disable=SC2086 # BATS_FLAGS is a list of flags
bats ${BATS_FLAGS:-} "$@" | tee "$tap"
