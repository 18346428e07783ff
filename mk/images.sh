#!/bin/bash
# Builds rb's container images offline from Debian packages: debootstrap (no
# registry), then `podman import`. Each image carries the hash of its recipe
# in the label rb.recipe and is rebuilt only when the recipe changes.
# The sentry is two images: rb-sentry-base (debootstrap, rebuilt when its
# recipe changes) and rb-sentry, the base plus rb-sentryd as PID 1 (a
# `podman build` of one layer, rebuilt when the binary changes): RB_SENTRYD,
# default build/bin/rb-sentryd, built without sanitizers (make images).
# rb-tools (a podman client's steps on the podman host, mk/remote.sh) is
# the same: rb-tools-base, plus rb-net-create, rb-fw-apply, rb-verify from
# RB_TOOLS_BIN (default build/bin) and the scripts they run in it.
# Usage: mk/images.sh [sentry|bottle|world|tools]...
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# The release this machine runs (RB_DEBIAN_SUITE overrides): rb-sentryd is
# built here and runs in the sentry, so its C library and the names of the
# libraries it links must be this release's.
# shellcheck source=mk/release.sh
. "$here/release.sh"
SUITE=${RB_DEBIAN_SUITE:-$(rb_release)} ||
	{ echo "images: not a release rb supports (mk/release.sh); set RB_DEBIAN_SUITE" >&2; exit 1; }
MIRROR=${RB_DEBIAN_MIRROR:-}
# the 64-bit time_t transition renamed it after bookworm
case $SUITE in bookworm) LIBIPSET=libipset13 ;; *) LIBIPSET=libipset13t64 ;; esac

# One recipe per image: packages, then the config it needs. The bottle
# carries what the ztests use (dig, nc, busybox) and iperf3 for
# `make bench`; the world is the simulated internet of docs/testing.md (test only).
recipe_packages() {
	case $1 in
	sentry) echo "dnsmasq-base iproute2 $LIBIPSET libnetfilter-queue1 libnetfilter-log1 libnftables1 libip4tc2 libcjson1" ;;
	bottle) echo "bind9-dnsutils netcat-openbsd busybox iputils-ping iproute2 iperf3 curl ca-certificates" ;;
	world)  echo "dnsmasq-base iproute2 socat iperf3 busybox" ;;
	# rb's commands' libraries, the podman client they and the scripts
	# call (to the host's socket), jq for the denial log, iptables-legacy,
	# ip and sysctl for the world's host side
	# (netavark: podman's containers-common depends on a virtual network
	# stack, which debootstrap cannot pick)
	tools)  echo "podman netavark iptables iproute2 procps jq libnl-3-200 libnl-route-3-200 libip4tc2 libip6tc2 libcjson1 $LIBIPSET libnftables1" ;;
	*) return 1 ;;
	esac
}

# ENTRYPOINT for the services, CMD for the bottle so `podman run IMAGE cmd` works.
recipe_entrypoint() {
	case $1 in
	sentry) echo 'ENTRYPOINT ["/usr/local/sbin/rb-sentryd"]' ;;
	bottle) echo 'CMD ["/bin/sleep", "infinity"]' ;;
	world)  echo 'ENTRYPOINT ["/usr/local/sbin/rb-world"]' ;;
	tools)  echo 'CMD ["/bin/bash"]' ;;
	esac
}

recipe_hash() {
	{
		echo "$SUITE"
		recipe_packages "$1"
		recipe_entrypoint "$1"
		[ "$1" = world ] && cat "$here/world-init.sh"
		sed -n '/^configure()/,/^}/p' "$0"
	} | sha256sum | cut -c1-16
}

configure() {
	local name=$1 root=$2
	# Images are data, not systems: no docs, no apt lists, no caches.
	rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
		"$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
	mkdir -p "$root/etc/rb"
	case $name in
	bottle)
		# The uid the nameplates default to; nameplates may pick another with --user.
		chroot "$root" useradd -u 1000 -m -s /bin/sh bottle
		;;
	sentry)
		# rb-sentryd's children each run as their own uid (dnsmasq's comes
		# with its package); the log's tmpfs is mounted with rb-log's uid.
		chroot "$root" useradd -r -u 990 -M -d /nonexistent -s /usr/sbin/nologin rb-learn
		chroot "$root" useradd -r -u 991 -M -d /nonexistent -s /usr/sbin/nologin rb-log
		chroot "$root" getent passwd dnsmasq >/dev/null
		# /var/log/rb is a tmpfs (mk/bottle.sh); no directory here, or
		# podman would give the mount this directory's mode instead of 1777
		;;
	world)
		install -m 0755 "$here/world-init.sh" "$root/usr/local/sbin/rb-world"
		;;
	esac
}

# The files rb-tools adds to its base, as SOURCE TARGET lines: what runs
# on the podman host for a podman client (mk/remote.sh).
# shellcheck disable=SC2317 # (called as "${name}_files" by build_layer)
tools_files() {
	local c s
	for c in rb-net-create rb-fw-apply rb-verify; do
		echo "$RB_TOOLS_BIN/$c /usr/local/sbin/$c"
	done
	for s in remote.sh bottle.sh denials.sh world.sh ztest.sh; do
		echo "$here/$s /usr/local/share/rb/mk/$s"
	done
}

# The file rb-sentry adds to its base: rb-sentryd as PID 1.
# shellcheck disable=SC2317 # (called as "${name}_files" by build_layer)
sentry_files() { echo "$RB_SENTRYD /usr/local/sbin/rb-sentryd"; }

# build_layer NAME: rb-NAME is rb-NAME-base (a recipe of build) plus one
# layer of the files NAME_files lists (no network), labelled with a hash of
# the base's recipe and of each file with its target: rebuilt when any
# changes. Every file must exist, and the commands (sbin) be executable.
build_layer() {
	local name=$1 image="localhost/rb-$1:latest" base="localhost/rb-$1-base:latest"
	local hash have ctx src dst n=0
	while read -r src dst; do
		if [ ! -f "$src" ] || { [[ $dst == */sbin/* ]] && [ ! -x "$src" ]; }; then
			echo "images: $src missing: run make" >&2
			return 1
		fi
	done < <("${name}_files")
	build "$name" "$base" || return 1
	hash=$({
		podman image inspect --format '{{index .Config.Labels "rb.recipe"}}' "$base"
		while read -r src dst; do echo "$dst $(sha256sum <"$src")"; done < <("${name}_files")
	} | sha256sum | cut -c1-16)
	have=$(podman image inspect --format '{{index .Config.Labels "rb.recipe"}}' "$image" 2>/dev/null || true)
	if [ "$have" = "$hash" ]; then
		echo "images: $image is up to date ($hash)"
		return 0
	fi
	ctx=$(mktemp -d /var/tmp/rb-image-XXXXXX)
	trap 'rm -rf "$ctx"' RETURN
	echo "FROM $base" >"$ctx/Containerfile"
	while read -r src dst; do
		n=$((n + 1))
		install -m 0755 "$src" "$ctx/f$n"
		echo "COPY f$n $dst" >>"$ctx/Containerfile"
	done < <("${name}_files")
	printf '%s\n' "LABEL rb.recipe=$hash" "$(recipe_entrypoint "$name")" >>"$ctx/Containerfile"
	podman build -q --pull=never --network=none -t "$image" "$ctx" >/dev/null ||
		{ echo "images: cannot build $image" >&2; return 1; }
	echo "images: built $image ($hash)"
}

build() {
	local name=$1 image=${2:-"localhost/rb-$1:latest"} hash have root
	hash=$(recipe_hash "$name")
	have=$(podman image inspect --format '{{index .Config.Labels "rb.recipe"}}' "$image" 2>/dev/null || true)
	if [ "$have" = "$hash" ]; then
		echo "images: $image is up to date ($hash)"
		return 0
	fi
	echo "images: building $image (recipe $hash)"
	root=$(mktemp -d /var/tmp/rb-image-XXXXXX)
	# once: a RETURN trap outlives the function, and its caller has no root
	trap 'rm -rf "$root"; trap - RETURN' RETURN
	local include
	include=$(recipe_packages "$name" | tr ' ' ',')
	# once more after a download the mirror failed (seen: "Couldn't download
	# packages" with four roots building at once); anything else fails now
	local try
	for try in 1 2; do
		debootstrap --variant=minbase --include="$include" "$SUITE" "$root" $MIRROR \
			>"$root.log" 2>&1 && break
		if [ "$try" = 1 ] && grep -q "Couldn't download\|Failed getting release" "$root.log"; then
			echo "images: debootstrap for $image: the mirror failed a download; trying once more" >&2
			rm -rf --one-file-system "$root" && mkdir -m 0700 "$root" && continue
		fi
		echo "images: debootstrap for $image failed; last lines of $root.log:" >&2
		tail -n 20 "$root.log" >&2
		return 1
	done
	rm -f "$root.log"
	configure "$name" "$root"
	tar -C "$root" --numeric-owner -c . |
		podman import -q \
			--change "LABEL rb.recipe=$hash" \
			--change "$(recipe_entrypoint "$name")" \
			- "$image" >/dev/null
	echo "images: built $image"
}

[ $# -gt 0 ] || set -- sentry bottle world tools
for name; do
	recipe_packages "$name" >/dev/null || { echo "images: unknown image '$name'" >&2; exit 1; }
done
# Two at a time: debootstrap is mostly waiting on the mirror and dpkg.
pids=()
RB_SENTRYD=${RB_SENTRYD:-$here/../build/bin/rb-sentryd}
RB_TOOLS_BIN=${RB_TOOLS_BIN:-$here/../build/bin}
for name; do
	case $name in
	sentry | tools) build_layer "$name" & pids+=($!) ;;
	*) build "$name" & pids+=($!) ;;
	esac
done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
exit $rc
