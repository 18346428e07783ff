#!/bin/bash
# Installs and configures what a fresh Debian 12 host needs for rb. Idempotent.
set -eu

PKGS="build-essential pkg-config python3 clang llvm libclang-rt-14-dev cppcheck clang-tidy
podman runc netavark aardvark-dns uidmap slirp4netns fuse-overlayfs
iptables ipset conntrack iproute2 dnsmasq-base debootstrap
libnl-3-dev libnl-route-3-dev libnl-nf-3-dev libiptc-dev libipset-dev libcjson-dev
bats bats-assert bats-support jq bind9-dnsutils netcat-openbsd iperf3 hyperfine tcpdump strace"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing
fi

# crun fails on this host's hybrid cgroups: use runc. Podman's default rlimits
# exceed the host's hard limits: stay at or below them (nproc <= 32768).
nofile=$(ulimit -Hn)
nproc=$(ulimit -Hu)
[ "$nofile" = unlimited ] && nofile=1048576
[ "$nproc" = unlimited ] && nproc=32768
[ "$nproc" -gt 32768 ] && nproc=32768
conf=/etc/containers/containers.conf.d/50-rb.conf
mkdir -p "$(dirname "$conf")"
want=$(cat <<CONF
# written by rb's make deps
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
runtime = "runc"
[network]
network_backend = "netavark"
CONF
)
if [ ! -f "$conf" ] || [ "$(cat "$conf")" != "$want" ]; then
	printf '%s\n' "$want" >"$conf"
	echo "deps: wrote $conf"
fi

# The legacy xtables tools are used to inspect what libiptc wrote; they are
# never made the system default.
podman info --format '{{.Host.OCIRuntime.Name}} {{.Host.NetworkBackend}}' >/dev/null ||
	{ echo "deps: podman does not work after configuration" >&2; exit 1; }
echo "deps: ok ($(podman --version), runtime $(podman info --format '{{.Host.OCIRuntime.Name}}'))"
