#!/bin/bash
# make bottle-nameplates: N nameplates from one template, for many bottles
# on one host. Each gets its own moniker, enclave /24 (sentry .2, bottle
# .3) out of SUBNETS, and its own entry port (ENTRY_BASE + i, when the
# template has the entry on); everything else is the template's. Each is
# checked by rb-net-create before anything is written, and an existing
# file is never overwritten.
# Usage: mk/nameplates.sh TEMPLATE DIR N [PREFIX] [SUBNETS] [ENTRY_BASE]
set -euo pipefail

RB_BIN=${RB_BIN:-build/bin}
# rb_tool: this host's rb-net-create, or rb-tools' on a podman client
# shellcheck source=mk/remote.sh
. "$(dirname "${BASH_SOURCE[0]}")/remote.sh"
die() { echo "bottle-nameplates: $*" >&2; exit 1; }

if [ $# -lt 3 ] || [ $# -gt 6 ]; then
	die "usage: make bottle-nameplates N=count DIR=dir [TEMPLATE=nameplate] [PREFIX=name] [SUBNETS=a.b.0.0/16] [ENTRY_BASE=port]"
fi
template=$1 dir=$2 n=$3 prefix=${4:-fleet} pool=${5:-10.250.0.0/16} base=${6:-19000}

[ -f "$template" ] || die "TEMPLATE: \"$template\": no such nameplate"
[[ $n =~ ^[1-9][0-9]{0,2}$ ]] || die "N: \"$n\": a count from 1 to 256"
[[ $prefix =~ ^[a-z][a-z0-9]{0,7}$ ]] ||
	die "PREFIX: \"$prefix\": 1 to 8 lower-case letters and digits, starting with a letter"
[[ $pool =~ ^([0-9]{1,3})\.([0-9]{1,3})\.0\.0/16$ ]] ||
	die "SUBNETS: \"$pool\": a /16 of the form a.b.0.0/16 (each bottle gets one /24 of it)"
net=${BASH_REMATCH[1]}.${BASH_REMATCH[2]}
if ! [[ $base =~ ^[1-9][0-9]{0,4}$ ]] || [ "$base" -ge 65536 ]; then
	die "ENTRY_BASE: \"$base\": a port from 1 to 65535"
fi
[ "$n" -le 256 ] || die "N: \"$n\": a /16 holds 256 bottles of a /24 each"
[ $((base + n)) -le 65535 ] || die "ENTRY_BASE: \"$base\": ports $base..$((base + n)) do not fit under 65536"
[ -d "$dir" ] || die "DIR: \"$dir\": no such directory"

tmp=$(mktemp -d "$dir/.nameplates.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
for ((i = 1; i <= n; i++)); do
	m=$(printf '%s%02d' "$prefix" "$i")
	[ ! -e "$dir/$m.mk" ] || die "$dir/$m.mk exists: not overwritten (remove it or choose another PREFIX)"
	sub=$net.$((i - 1))
	# the template's lines with these replaced; comments and the rest kept
	awk -v m="$m" -v sub_="$sub" -v port=$((base + i)) -v from="$template" '
		NR == 1 { print "# " m ": made from " from " by make bottle-nameplates" }
		function set(k, v) { printf "%-27s = %s\n", k, v; done[k] = 1 }
		/^RBRN_MONIKER[ =]/ { set("RBRN_MONIKER", m); next }
		/^RBRN_ENCLAVE_SUBNET[ =]/ { set("RBRN_ENCLAVE_SUBNET", sub_ ".0/24"); next }
		/^RBRN_ENCLAVE_SENTRY_IP[ =]/ { set("RBRN_ENCLAVE_SENTRY_IP", sub_ ".2"); next }
		/^RBRN_ENCLAVE_BOTTLE_IP[ =]/ { set("RBRN_ENCLAVE_BOTTLE_IP", sub_ ".3"); next }
		/^RBRN_ENTRY_PORT_WORKSTATION[ =]/ { set("RBRN_ENTRY_PORT_WORKSTATION", port); next }
		{ print }
		END {
			if (!done["RBRN_MONIKER"] || !done["RBRN_ENCLAVE_SUBNET"] ||
			    !done["RBRN_ENCLAVE_SENTRY_IP"] || !done["RBRN_ENCLAVE_BOTTLE_IP"])
				exit 1
		}' "$template" >"$tmp/$m.mk" ||
		die "TEMPLATE: \"$template\": lacks RBRN_MONIKER or an RBRN_ENCLAVE_* line to replace"
	# the C validator has the last word (and the host's networks and routes)
	rb_tool rb-net-create --check --policy-only --nameplate "$tmp/$m.mk" >/dev/null ||
		die "$m: the nameplate made from $template is refused (above)"
done
for f in "$tmp"/*.mk; do
	mv -n "$f" "$dir/"
done
echo "bottle-nameplates: wrote $n nameplates ${prefix}01..$(printf '%s%02d' "$prefix" "$n") to $dir (enclaves $net.0.0/24..$net.$((n - 1)).0/24)"
