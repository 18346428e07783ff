#!/bin/bash
# The simulated world: an --internal podman network with one container that
# owns the public-looking addresses tests use. Nothing on it can leave this
# machine: the network is internal (no NAT, no default route) and the host
# drops anything it would forward in or out of the world's bridge.
# Usage: mk/world.sh start|stop|status
set -euo pipefail

# A podman client's bottle is handled on the podman host (mk/remote.sh).
# shellcheck source=mk/remote.sh
. "$(dirname "${BASH_SOURCE[0]}")/remote.sh"
rb_remote_hand_over 0 world.sh "$@"

NET=${RB_WORLD_NETWORK:-rb-world}
SUBNET=${RB_WORLD_SUBNET:-10.243.0.0/24}
WORLD_IP=${RB_WORLD_IP:-10.243.0.2}
# The host's own address on the world, so the entry port can be reached
# from the host the way podman's default network allows in real use. Also
# the network's --gateway: Podman 5 gives an --internal network none
# unless asked, and IPAM would hand this address to the first sentry.
HOST_IP=${RB_WORLD_HOST_IP:-10.243.0.1}
CTR=rb-world
IMAGE=localhost/rb-world:latest
CHAIN=RB-WORLD

ipt() { iptables-legacy -w 5 "$@"; }

host_rules_remove() {
	local c
	for c in FORWARD INPUT; do
		while ipt -D "$c" -j "$CHAIN" 2>/dev/null; do :; done
	done
	ipt -F "$CHAIN" 2>/dev/null || true
	ipt -X "$CHAIN" 2>/dev/null || true
}

host_rules_add() {
	local br=$1
	host_rules_remove
	ipt -N "$CHAIN"
	ipt -A "$CHAIN" -i "$br" ! -o "$br" -j DROP
	ipt -A "$CHAIN" -o "$br" ! -i "$br" -j DROP
	ipt -I FORWARD 1 -j "$CHAIN"
}

start() {
	if podman container exists "$CTR"; then
		[ "$(podman inspect -f '{{.State.Running}}' "$CTR")" = true ] ||
			{ echo "world: $CTR exists but is not running; run make world-stop first" >&2; exit 1; }
		echo "world: already running"
		return 0
	fi
	podman image exists "$IMAGE" || { echo "world: $IMAGE missing: run make images" >&2; exit 1; }
	# A half-started world is worse than none: undo everything on failure.
	# shellcheck disable=SC2154 # rc is assigned inside the trap
	trap 'rc=$?; [ $rc -eq 0 ] || { podman logs "$CTR" >&2 2>/dev/null || true; stop >&2; }' EXIT
	podman network exists "$NET" ||
		podman network create --internal --disable-dns --subnet "$SUBNET" \
			--gateway "$HOST_IP" "$NET" >/dev/null
	podman run -d --name "$CTR" --network "$NET:ip=$WORLD_IP" \
		--cap-drop ALL --cap-add NET_ADMIN,NET_BIND_SERVICE,NET_RAW,SETUID,SETGID \
		--sysctl net.ipv6.conf.all.disable_ipv6=1 \
		--sysctl net.ipv6.conf.default.disable_ipv6=1 \
		"$IMAGE" >/dev/null
	local br
	br=$(podman network inspect -f '{{.NetworkInterface}}' "$NET")
	host_rules_add "$br"
	ip addr replace "$HOST_IP/${SUBNET#*/}" dev "$br"
	sysctl -qw "net.ipv6.conf.$br.disable_ipv6=1"
	for _ in $(seq 50); do
		podman exec "$CTR" test -f /var/log/world/ready 2>/dev/null && break
		sleep 0.1
	done
	podman exec "$CTR" test -f /var/log/world/ready ||
		{ echo "world: $CTR did not become ready" >&2; exit 2; }
	echo "world: up on $NET ($SUBNET), gateway $WORLD_IP, bridge $br"
}

# Refuses while a sentry is attached: `podman network rm -f` would remove
# it too, and its bottle with no word. RB_WORLD_FORCE=1 does it anyway.
stop() {
	local users
	users=$(podman ps -a --filter "network=$NET" --format '{{.Names}}' 2>/dev/null | grep -vxF "$CTR" || true)
	if [ -n "$users" ] && [ "${RB_WORLD_FORCE:-0}" != 1 ]; then
		echo "world: $NET is in use by ${users//$'\n'/ }: make bottle-stop for each first (RB_WORLD_FORCE=1 removes them with the world)" >&2
		return 1
	fi
	podman rm -f -t 0 "$CTR" >/dev/null 2>&1 || true
	podman network rm -f "$NET" >/dev/null 2>&1 || true
	host_rules_remove
	echo "world: stopped"
}

status() {
	podman container exists "$CTR" && podman inspect -f '{{.Name}} running={{.State.Running}}' "$CTR" ||
		echo "world: not running"
}

case ${1:-} in
start | stop | status) "$1" ;;
*) echo "usage: $0 start|stop|status" >&2; exit 1 ;;
esac
