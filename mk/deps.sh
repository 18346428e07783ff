#!/bin/bash
# Installs and configures what rb needs on a fresh Debian 12 (bookworm),
# 13 (trixie) or unstable (sid) host, then checks that every command rb's
# targets, scripts and tests run is there (mk/commands.list). Idempotent.
# RB_DEPS_RELEASE=bookworm|trixie|sid overrides the detected release.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
# (test/005 points these at files of other distributions)
OS_RELEASE=${RB_OS_RELEASE:-/etc/os-release}
DEBIAN_VERSION=${RB_DEBIAN_VERSION:-/etc/debian_version}

# The release decides package names (mk/commands.list RELEASE=PACKAGE).
# shellcheck source=mk/release.sh
. "$here/release.sh"

if ! REL=$(rb_release); then
	# shellcheck disable=SC1090
	pretty=$( (. "$OS_RELEASE" 2>/dev/null && echo "${PRETTY_NAME:-}") || true)
	echo "deps: unsupported distribution: ${pretty:-unknown} ($(cat "$DEBIAN_VERSION" 2>/dev/null || echo 'not Debian'))." >&2
	echo "deps: rb supports Debian 12 (bookworm), 13 (trixie) and unstable (sid); see README, Platforms." >&2
	echo "deps: set RB_DEPS_RELEASE=bookworm|trixie|sid to try the nearest one at your own risk." >&2
	exit 1
fi
case $REL in bookworm | trixie | sid) ;; *)
	echo "deps: RB_DEPS_RELEASE=$REL: not one of bookworm, trixie, sid" >&2
	exit 1
	;;
esac

# What is not a command rb runs: headers and libraries it builds against,
# the sanitizer runtime, bats' libraries, what podman runs underneath.
PKGS="build-essential llvm libclang-rt-dev
libnl-3-dev libnl-route-3-dev libnl-nf-3-dev libiptc-dev libipset-dev libcjson-dev
libnftables-dev
libnetfilter-queue-dev libnetfilter-log-dev libmnl-dev
bats-assert bats-support
runc netavark aardvark-dns uidmap slirp4netns fuse-overlayfs"
PKGS="$PKGS $(bash "$here/commands.sh" packages "$REL" | tr '\n' ' ')"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "deps: installing for Debian $REL:$missing"
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

# a missing command fails deps (the pipe would hide the check's status)
bash "$here/commands.sh" check 2>&1 | sed 's/^/deps: /'
[ "${PIPESTATUS[0]}" -eq 0 ] || exit 1
# The legacy xtables tools are used to inspect what libiptc wrote; they are
# never made the system default.
info=$(podman info --format '{{.Host.OCIRuntime.Name}} {{.Host.NetworkBackend}}' 2>/dev/null) ||
	{ echo "deps: podman does not work after configuration (podman info failed)" >&2; exit 1; }
echo "deps: ok (Debian $REL, $(podman --version 2>/dev/null), runtime ${info%% *}, network ${info#* })"
