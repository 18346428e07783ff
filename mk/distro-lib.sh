# shellcheck shell=bash
# What `make check-distro` (mk/distro.sh) and `make check-vm` (mk/vm.sh)
# share: a fresh Debian root of a release as a new machine has it
# (debootstrap minbase, cached), this checkout copied into it, and the root
# entered in mount and PID namespaces of its own where `make deps` and
# `make images` run (mk/distro-root.sh) before the caller's next stage.
# Sourced; the caller defines die().

DISTRO_MIRROR=${RB_DISTRO_MIRROR:-http://deb.debian.org/debian}
DISTRO_CACHE=${RB_DISTRO_CACHE:-/var/cache/rb-distro}
distro_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
distro_top=$(cd "$distro_here/.." && pwd)

# distro_valid DISTRO: one of the releases rb supports, or die naming it.
distro_valid() {
	case $1 in
	bookworm | trixie | sid) ;;
	"") die "DISTRO is not set: DISTRO=bookworm|trixie|sid" ;;
	*) die "DISTRO=$1: not one of bookworm, trixie, sid" ;;
	esac
}

# distro_root_fill ROOT DISTRO: ROOT (a new, empty directory) becomes a
# minbase root of DISTRO, from the cached tarball or debootstrap.
distro_root_fill() {
	local root=$1 d=$2 tarball=$DISTRO_CACHE/minbase-$2.tar
	mkdir -p "$DISTRO_CACHE"
	if [ -s "$tarball" ]; then
		echo "${distro_who:-distro}: $d: minbase from $tarball"
		tar -C "$root" -xpf "$tarball"
	else
		echo "${distro_who:-distro}: $d: debootstrap --variant=minbase $d ($DISTRO_MIRROR)"
		debootstrap --variant=minbase "$d" "$root" "$DISTRO_MIRROR" >"$root.log" 2>&1 ||
			{ tail -n 20 "$root.log" >&2; rm -f "$root.log"; die "debootstrap $d failed"; }
		rm -f "$root.log"
		tar -C "$root" -cpf "$tarball.tmp.$$" . && mv "$tarball.tmp.$$" "$tarball"
	fi
	# It becomes /: apt's _apt user and the containers' users walk it,
	# and under a 0700 / the unprivileged dnsmasq, learner and log cannot
	# even load their libraries. Set after the tarball, whose "./" carries
	# the mode of the directory it was made from (mktemp's 0700).
	chmod 0755 "$root"
	# The archive this machine reaches may be a snapshot whose unstable
	# Release has passed its Valid-Until: apt refuses that unless told.
	# Only this root is told; make deps never changes a host's apt setup.
	echo 'Acquire::Check-Valid-Until "false";' >"$root/etc/apt/apt.conf.d/99rb-distro-snapshot"
}

# distro_checkout ROOT: this checkout as it is (tracked and new files, not
# build output) in ROOT/root/rb, replacing what a kept root had there.
distro_checkout() {
	local root=$1
	rm -rf "$root/root/rb"
	mkdir -p "$root/root/rb"
	(cd "$distro_top" && git ls-files -z -co --exclude-standard | tar --null -T - -cf -) |
		tar -C "$root/root/rb" -xf -
	cp /etc/resolv.conf "$root/etc/resolv.conf"
}

# distro_enter ROOT DISTRO NEXT [VAR=VALUE...]: in ROOT, as its /, in mount
# and PID namespaces of its own: make deps, make images, then `bash NEXT`
# (a path in the checkout) with the environment VAR=VALUE... and nothing
# of this one's. Its output goes to stdout and to ROOT.out. When its first
# process ends (or the caller is killed and kills it: --kill-child) the
# kernel kills every process started there, podman's, conmon's and the
# containers' too, and the mounts of the root never show on the host.
# Run it as `distro_enter ... &` and wait for it, so that INT/TERM reach
# the caller's trap at once: the background subshell becomes unshare
# (exec), and killing $! kills the namespace's PID 1 and with it the rest.
distro_enter() {
	local root=$1 d=$2 next=$3
	shift 3
	exec env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		LANG=C.UTF-8 TERM=dumb "$@" DISTRO="$d" NEXT="$next" ROOT="$root" \
		unshare --mount --propagation private --pid --fork --kill-child -- \
		bash "$distro_here/distro-root.sh" > >(tee "$root.out")
}
