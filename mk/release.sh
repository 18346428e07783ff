# shellcheck shell=bash
# The Debian release this machine runs, as rb names it: bookworm, trixie or
# sid (unstable and testing say "<next>/sid"); prints nothing and returns 1
# for anything else. RB_DEPS_RELEASE overrides it; RB_OS_RELEASE and
# RB_DEBIAN_VERSION point it at other files (test/005). Sourced by
# mk/deps.sh (package names) and mk/images.sh (the images' release).
rb_release() {
	local id="" codename="" ver=""
	local os=${RB_OS_RELEASE:-/etc/os-release} dv=${RB_DEBIAN_VERSION:-/etc/debian_version}
	if [ -n "${RB_DEPS_RELEASE:-}" ]; then
		echo "$RB_DEPS_RELEASE"
		return
	fi
	# shellcheck disable=SC1090
	[ -r "$os" ] && id=$(. "$os" && echo "${ID:-}") && codename=$(. "$os" && echo "${VERSION_CODENAME:-}")
	[ -r "$dv" ] && ver=$(cat "$dv")
	case $id:$codename:$ver in
	debian:bookworm:*) echo bookworm ;;
	debian:trixie:*) echo trixie ;;
	debian:*:*/sid) echo sid ;;
	*) return 1 ;;
	esac
}
