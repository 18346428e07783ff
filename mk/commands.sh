#!/bin/bash
# The external commands rb's make targets, scripts, tests and benchmarks run
# on the host, checked against mk/commands.list (COMMAND PACKAGE).
#   mk/commands.sh packages REL  the packages that provide them on REL (make deps)
#   mk/commands.sh check         every listed command is on PATH (names the missing)
#   mk/commands.sh scan [FILE..] commands the files run that the list lacks
# The scan reads command positions that are programs on this machine (start of a statement, after | ; && ||
# $( ` and after wrappers such as run, timeout, ip netns exec, nsenter,
# xargs), so a new tool used anywhere in mk/, test/ or bench/ shows up here
# before it shows up as a test failing on a fresh machine.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
LIST=${RB_COMMANDS_LIST:-$here/commands.list}

listed() { sed -E 's/#.*//' "$LIST" | awk 'NF { print $1 }'; }

# packages RELEASE: the package of each command, RELEASE=PACKAGE where given.
packages() {
	sed -E 's/#.*//' "$LIST" | awk -v rel="${1:-bookworm}" 'NF >= 2 {
		p = $2
		for (i = 3; i <= NF; i++)
			if (index($i, rel "=") == 1) p = substr($i, length(rel) + 2)
		print p
	}' | sort -u
}

check() {
	local c missing=()
	for c in $(listed); do
		command -v "$c" >/dev/null 2>&1 || missing+=("$c")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		echo "commands: missing on this machine: ${missing[*]} (run make deps)" >&2
		return 1
	fi
	echo "commands: all $(listed | wc -l) present"
}

# The host-side files: the world's init script runs inside the world image
# (its commands come from the image recipe in mk/images.sh), and check-vm's
# guest init in the guest (a root with make deps' packages and the kernel's),
# so they are not here.
default_files() {
	local f
	cd "$top"
	for f in Makefile .ci/run mk/*.mk mk/*.sh bench/*.sh test/*.bats test/*.bash; do
		[ -f "$f" ] && [ "$f" != mk/world-init.sh ] && [ "$f" != mk/vm-guest.sh ] && echo "$f"
	done
}

# Words in command position, one "FILE:LINE WORD" per line. A small shell
# lexer: text in single quotes and here-documents is data (a nameplate, C, a
# script run in a container); in double quotes only $(...) is code.
words() {
	local f
	for f; do
		awk -v F="$f" -f "$here/commands.awk" "$f"
	done
}

scan() {
	local f files=("$@") bad=0 loc w
	local -A skip=() seen=()
	[ ${#files[@]} -gt 0 ] || mapfile -t files < <(default_files)
	cd "$top"
	# shell words, shell functions the files define, the listed commands
	for w in $(compgen -b) $(compgen -k) $(listed) \
		$(grep -ohE '^[[:space:]]*[A-Za-z_][A-Za-z0-9_-]*\(\)' "${files[@]}" | tr -d ' \t()'); do
		skip[$w]=1
	done
	while read -r loc w; do
		case $w in rb-*|bats_*|assert_*|refute_*) continue ;; esac
		[ -z "${skip[$w]:-}" ] || continue
		# a word in command position that is no program here is text that
		# the scan took for code (a message, a quoted script); a program of
		# this machine that the list lacks is what a fresh machine will miss
		if [ -z "${seen[$w]:-}" ]; then
			if command -v "$w" >/dev/null 2>&1; then seen[$w]=prog; else seen[$w]=text; fi
		fi
		[ "${seen[$w]}" = prog ] || continue
		echo "commands: $loc runs '$w', which mk/commands.list does not name"
		bad=1
	done < <(words "${files[@]}" | sort -u)
	return $bad
}

case ${1:-} in
packages) packages "${2:-}" ;;
check) check ;;
scan) shift; scan "$@" ;;
*) echo "usage: mk/commands.sh packages RELEASE | check | scan [FILE...]" >&2; exit 1 ;;
esac
