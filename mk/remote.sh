#!/bin/bash
# rb from a podman client (podman machine, CONTAINER_HOST, podman --remote):
# the containers, their netns and the kernel are on the podman host, so
# every step that touches them runs there, in the rb-tools container
# (localhost/rb-tools: rb's commands, these scripts and a podman client;
# mk/images.sh), privileged, in the host's PID and network namespaces, for
# one step, talking to the host's podman through its socket. /run/rb lives
# on the podman host. With a local podman nothing of this runs: the mode is
# one cached answer and the scripts go on as before.
#
# Sourced by mk/bottle.sh, mk/ztest.sh and mk/world.sh (rb_remote_hand_over);
# run by make as
#   bash mk/remote.sh mode              local | remote (RB_MODE)
#   bash mk/remote.sh tool CMD ARGS...  rb-verify, rb-net-create... in rb-tools
# and, as the tools container's command,
#   bash mk/remote.sh enter SCRIPT|CMD ARGS...
#
# Knobs: RB_REMOTE=0|1 decides without asking; RB_PODMAN_SOCKET is the
# podman API socket's path on the podman host (default: the path of a
# unix:// or ssh:// CONTAINER_HOST, else /run/podman/podman.sock, a
# rootful podman machine's); RB_TOOLS_IMAGE (localhost/rb-tools:latest).

RB_TOOLS_IMAGE=${RB_TOOLS_IMAGE:-localhost/rb-tools:latest}
# Where the scripts and commands are in the rb-tools image (mk/images.sh).
RB_TOOLS_SHARE=/usr/local/share/rb
RB_TOOLS_SBIN=/usr/local/sbin
# Where the tools container writes the client's nameplate (it has no other
# way to the client's files).
RB_TOOLS_NP=/tmp/rb-nameplate

# local or remote, on stdout. Podman is remote when told so by the
# environment it reads itself (CONTAINER_HOST, CONTAINER_CONNECTION), else
# when `podman info` says so (podman machine's client, a default system
# connection, remote = true in containers.conf). That answer is cached per
# user and kept while it is newer than the podman binary and every file
# podman takes that decision from: one file test on every later call.
rb_remote_mode() {
	case ${RB_REMOTE:-} in
	1) echo remote; return 0 ;;
	0) echo local; return 0 ;;
	'') ;;
	*) echo "RB_REMOTE: \"$RB_REMOTE\": must be 0 or 1 (or unset: ask podman)" >&2; return 1 ;;
	esac
	if [ -n "${CONTAINER_HOST:-}" ] || [ -n "${CONTAINER_CONNECTION:-}" ]; then
		echo remote
		return 0
	fi
	local podman cache conf f mode answer stale=0
	podman=$(command -v "${RB_PODMAN:-podman}") || { echo local; return 0; }
	conf=${XDG_CONFIG_HOME:-${HOME:-/nonexistent}/.config}/containers
	cache=${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/rb/podman-mode
	if [ -s "$cache" ] && [ "$cache" -nt "$podman" ]; then
		for f in /usr/share/containers/containers.conf /etc/containers/containers.conf \
			/etc/containers/containers.conf.d "$conf/containers.conf" "$conf/containers.conf.d" \
			"$conf/podman-connections.json" "$conf/podman-connections.conf" \
			"${XDG_RUNTIME_DIR:-/nonexistent}/containers/podman-connections.json"; do
			if [ -e "$f" ] && ! [ "$cache" -nt "$f" ]; then
				stale=1
				break
			fi
		done
		if [ $stale = 0 ] && { read -r f mode <"$cache"; } 2>/dev/null &&
			[ "$f" = "$podman" ] && { [ "$mode" = local ] || [ "$mode" = remote ]; }; then
			echo "$mode"
			return 0
		fi
	fi
	# podman's stderr is not read: Podman 5 warns there on cgroup v1
	answer=$("$podman" info --format '{{.Host.ServiceIsRemote}}' 2>/dev/null) ||
		{ echo "rb: cannot ask podman whether it is remote (podman info failed); RB_REMOTE=0|1 decides without asking" >&2; return 1; }
	case $answer in
	true) mode=remote ;;
	false) mode=local ;;
	*) echo "rb: podman info: ServiceIsRemote: \"$answer\": neither true nor false" >&2; return 1 ;;
	esac
	# best effort: without a cache the next call asks again
	if mkdir -p "${cache%/*}" 2>/dev/null; then
		if ! { printf '%s %s\n' "$podman" "$mode" >"$cache.$$" && mv -f "$cache.$$" "$cache"; } 2>/dev/null; then
			rm -f "$cache.$$" 2>/dev/null
		fi
	fi
	echo "$mode"
}

# The API socket's path on the podman host, for the tools container's mount.
rb_remote_socket() {
	if [ -n "${RB_PODMAN_SOCKET:-}" ]; then
		echo "$RB_PODMAN_SOCKET"
		return 0
	fi
	case ${CONTAINER_HOST:-} in
	unix://*) echo "${CONTAINER_HOST#unix://}" ;;
	# ssh://user@host[:port]/path: the path on that host
	ssh://*/*) local rest=${CONTAINER_HOST#ssh://}; echo "/${rest#*/}" ;;
	*) echo /run/podman/podman.sock ;;
	esac
}

# Runs ARGS (a script of mk/ or one of rb's commands, as the image has
# them) in the tools container on the podman host, with the client's
# nameplate NP (a file, or empty) in its environment. Returns its status.
rb_tools_run() { # NP ARGS...
	local np=$1 sock run a args=() opts=() v gz i
	shift
	sock=$(rb_remote_socket)
	case $sock in
	/*) ;;
	*) echo "rb: RB_PODMAN_SOCKET: \"$sock\": not an absolute path on the podman host" >&2; return 1 ;;
	esac
	run=${RB_RUN:-/run/rb}
	case $run in
	/?*/[!/]*) ;;
	*) echo "rb: RB_RUN: \"$run\": not an absolute path below a directory of the podman host" >&2; return 1 ;;
	esac
	run=${run%/}
	if [ -n "$np" ]; then
		if [ ! -f "$np" ] || [ ! -r "$np" ]; then
			echo "rb: no nameplate $np" >&2
			return 1
		fi
		# the validator reads it on the podman host, where it arrives in
		# the environment, compressed (thousands of CIDRs shrink well) and
		# cut into values far below the kernel's limit for one
		gz=$(gzip -c <"$np" | base64 | tr -d '\n') || return 1
		if [ ${#gz} -gt $((1536 << 10)) ]; then
			echo "rb: nameplate $np: too large to hand to the podman host (${#gz} bytes compressed, at most 1.5 MiB)" >&2
			return 1
		fi
		i=0
		while [ -n "$gz" ]; do
			opts+=(-e "RB_NP_GZ_$i=${gz:0:65536}")
			gz=${gz:65536}
			i=$((i + 1))
		done
		for a; do
			if [ "$a" = "$np" ]; then args+=("$RB_TOOLS_NP/${np##*/}"); else args+=("$a"); fi
		done
	else
		args=("$@")
	fi
	# What the scripts and commands read from the client's environment:
	# the nameplate's overrides and rb's knobs, by name (never RB_BIN or
	# RB_NAMEPLATES: paths of the client).
	while IFS= read -r v; do
		case $v in
		RBRN_* | RB_FW_BACKEND | RB_LEARN_TTL_MIN | RB_LEARN_TTL_MAX | RB_WORLD_* | \
			RB_SECCOMP_BASE | RB_UPLINK_BRIDGE | CMD | FOLLOW | JSON) opts+=(-e "$v") ;;
		esac
	done < <(compgen -e)
	[ -t 0 ] && [ -t 1 ] && opts+=(-t)
	# RB_RUN's parent is mounted, not RB_RUN, which the first start
	# creates; inside, RB_RUN is the same path as on the host (a link into
	# the mount), since podman resolves the cidfile, pidfiles, seccomp
	# profile and configuration files rb names there. -i also without a
	# terminal: bottle-exec and bottle-shell read stdin.
	"${RB_PODMAN:-podman}" run --rm -i "${opts[@]}" --pull never --privileged \
		--pid host --network host --ipc host --cgroupns host --security-opt label=disable \
		--mount "type=bind,source=${run%/*},target=/run/rb-host" \
		--mount "type=bind,source=$sock,target=/run/podman/podman.sock" \
		-e RB_MODE=tools -e "RB_RUN=$run" -e CONTAINER_HOST=unix:///run/podman/podman.sock \
		"$RB_TOOLS_IMAGE" bash "$RB_TOOLS_SHARE/mk/remote.sh" enter "${args[@]}"
}

# The scripts' first step: on a remote podman, run SCRIPT VERB ARGS in the
# tools container instead and exit with its status; the nameplate is the
# argument at index NP_AT (0: none). Locally it returns at once.
rb_remote_hand_over() { # NP_AT SCRIPT ARGS...
	local at=$1 script=$2 np='' file mode
	shift 2
	if [ -z "${RB_MODE:-}" ]; then
		mode=$(rb_remote_mode) || exit 1
		export RB_MODE=$mode
	fi
	[ "$RB_MODE" = remote ] || return 0
	if [ "$at" -gt 0 ] && [ $# -ge "$at" ]; then
		file=${!at}
		case $file in
		*/* | *.mk) np=$file ;;
		*) np=${RB_NAMEPLATES:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/nameplates}/$file.mk ;;
		esac
		[ -f "$np" ] || { echo "rb: no nameplate $np" >&2; exit 1; }
		set -- "${@:1:at-1}" "$np" "${@:at+1}"
	fi
	rb_tools_run "$np" "$RB_TOOLS_SHARE/mk/$script" "$@"
	exit
}

# One of rb's commands: this host's ($RB_BIN) with a local podman, else
# rb-tools' on the podman host, with the nameplate after --nameplate.
rb_tool() { # CMD ARGS...
	local a np='' prev=''
	if [ -z "${RB_MODE:-}" ]; then
		RB_MODE=$(rb_remote_mode) || return 1
		export RB_MODE
	fi
	if [ "$RB_MODE" != remote ]; then
		"${RB_BIN:-build/bin}/$1" "${@:2}"
		return
	fi
	case $1 in
	rb-net-create | rb-fw-apply | rb-verify) ;;
	*) echo "rb: \"$1\": not one of rb's commands" >&2; return 1 ;;
	esac
	for a in "${@:2}"; do
		[ "$prev" = --nameplate ] && np=$a
		prev=$a
	done
	rb_tools_run "$np" "$@"
}

# A nameplate's value as rb reads it (NAME = value, a blank and # start a
# comment), for the host paths below; the C validator has the last word.
rb_np_value() { # NAME TEXT
	sed -n "s/^[[:blank:]]*$1[[:blank:]]*=[[:blank:]]*//p" <<<"$2" | sed 's/[[:blank:]]#.*//' | tail -n 1
}

# Host path P at P in here, if the host has it: the host's root is
# /proc/1/root (its PID 1, --pid host), from whose mount namespace nothing
# can be bound here, so a file is copied with its owner and mode (the step
# reads it and ends; the container goes with it) and a directory is made
# with them (podman on the host mounts the real one). A host path with a
# symlink on the way, the image's own directories (/usr, /lib...) and
# anything not a file or directory are left out: missing here, the
# validator refuses them.
rb_host_path() { # P
	local p=$1 src=/proc/1/root$1 q='' rest part
	case $p in /?*) ;; *) return 0 ;; esac
	case $p/ in */../* | */./* | *//*) return 0 ;; esac
	case $p in /proc* | /sys* | /dev* | /run/rb-host* | "$RB_TOOLS_NP"*) return 0 ;; esac
	rest=${p#/}
	while [ -n "$rest" ]; do
		part=${rest%%/*}
		q=$q/$part
		[ -L "/proc/1/root$q" ] && return 0
		if [ "$rest" = "$part" ]; then rest=''; else rest=${rest#*/}; fi
	done
	if [ -d "$src" ]; then
		case $p in /usr | /usr/* | /bin* | /sbin* | /lib* | /etc | /etc/* | /var/lib/dpkg*) return 0 ;; esac
		mkdir -p "$p"
	elif [ -f "$src" ] && [ ! -d "$p" ]; then
		mkdir -p "${p%/*}"
		# rb reads none larger (an env file 1 MiB, a seccomp profile less)
		head -c $((8 << 20)) "$src" >"$p"
	else
		return 0
	fi
	chown --reference="$src" "$p" && chmod --reference="$src" "$p"
}

# The podman host's files a step reads as the client of its podman: the
# seccomp base profile (podman's own, by default), the nameplate's volumes
# and env file (checked by the validator; podman's client reads the env
# file).
rb_tools_host_paths() { # NAMEPLATE-TEXT
	local p vols envf
	vols=${RBRN_BOTTLE_VOLUMES-$(rb_np_value RBRN_BOTTLE_VOLUMES "$1")}
	envf=${RBRN_BOTTLE_ENV_FILE-$(rb_np_value RBRN_BOTTLE_ENV_FILE "$1")}
	rb_host_path "${RB_SECCOMP_BASE:-/usr/share/containers/seccomp.json}"
	[ -z "$envf" ] || rb_host_path "$envf"
	for p in $vols; do
		rb_host_path "${p%%:*}"
	done
}

# In the tools container: write the client's nameplate, make sure /run/rb
# exists on the host, then run the script or command.
rb_tools_enter() {
	local a
	[ "${RB_MODE:-}" = tools ] || { echo "rb: remote.sh enter runs only in the rb-tools container" >&2; exit 1; }
	local i=0 v gz='' text=''
	while v=RB_NP_GZ_$i && [ -n "${!v+x}" ]; do
		gz+=${!v}
		unset "$v"
		i=$((i + 1))
	done
	if [ $i -gt 0 ]; then
		mkdir -p "$RB_TOOLS_NP"
		for a; do
			case $a in
			"$RB_TOOLS_NP"/*)
				base64 -d <<<"$gz" | gunzip >"$a"
				text=$(cat "$a")
				;;
			esac
		done
	fi
	rb_tools_host_paths "$text"
	case ${RB_RUN:-} in
	/?*/[!/]*) ;;
	*) echo "rb: RB_RUN: \"${RB_RUN:-}\": not an absolute path below a directory" >&2; exit 1 ;;
	esac
	mkdir -p "/run/rb-host/${RB_RUN##*/}" "${RB_RUN%/*}"
	ln -sfn "/run/rb-host/${RB_RUN##*/}" "$RB_RUN"
	export RB_BIN=$RB_TOOLS_SBIN
	case $1 in
	*.sh) exec bash "$@" ;;
	*) exec "$RB_TOOLS_SBIN/$1" "${@:2}" ;;
	esac
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -euo pipefail
	case ${1:-} in
	mode) rb_remote_mode ;;
	tool)
		[ $# -ge 2 ] || { echo "usage: $0 tool CMD ARGS..." >&2; exit 1; }
		RB_MODE=remote
		rb_tool "${@:2}"
		;;
	enter) shift; rb_tools_enter "$@" ;;
	*) echo "usage: $0 mode | tool CMD ARGS... | enter SCRIPT|CMD ARGS..." >&2; exit 1 ;;
	esac
fi
