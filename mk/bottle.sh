#!/bin/bash
# Brings a nameplate's sentry and bottle up and down, in the fail-closed
# order of docs/how-it-works.md. Values come from the C validator (rb-net-create
# --check --print-env), never from make evaluating the nameplate.
# Usage: mk/bottle.sh start|stop|status|reapply|shell|exec|logs|attach|suggest NAMEPLATE
#        mk/bottle.sh list
#        mk/bottle.sh log NAMEPLATE [--follow] [--json]
#   exec runs $CMD (a shell command line, run by the bottle's /bin/sh);
#   logs follows the output with FOLLOW=1; attach joins the command's
#   terminal (RBRN_BOTTLE_TTY=1); log and suggest read the
#   sentry's denial log (mk/denials.sh).
set -euo pipefail

# A podman client's bottle is handled on the podman host (mk/remote.sh).
# shellcheck source=mk/remote.sh
. "$(dirname "${BASH_SOURCE[0]}")/remote.sh"
rb_remote_hand_over 2 bottle.sh "$@"

RB_BIN=${RB_BIN:-build/bin}
RB_RUN=${RB_RUN:-/run/rb}
# rb-net-create --check refuses a volume or env file in it: the same one.
export RB_RUN
# A moniker names RB_NAMEPLATES/<moniker>.mk: by default the nameplates
# beside this script, in a checkout and in an installed copy alike.
RB_NAMEPLATES=${RB_NAMEPLATES:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/nameplates}

die() { echo "bottle: $*" >&2; exit "${RB_EXIT:-1}"; }

# Only a start needs the workload's files (volumes, env file) to be
# there: stopping a bottle whose workspace is gone must still work.
load() {
	local arg=$1 file env
	case $arg in
	*/* | *.mk) file=$arg ;;
	*) file=$RB_NAMEPLATES/$arg.mk ;;
	esac
	[ -f "$file" ] || die "no nameplate $file"
	NP_FILE=$file
	env=$("$RB_BIN/rb-net-create" --check "${@:2}" --print-env --nameplate "$file") || exit 1
	eval "$env"
	NP_ENV=$env
	# No RBRN_UPLINK_GATEWAY: the sentry routes via the uplink network's
	# gateway as podman has it, set and checked on-link by rb-net-create.
	if [ -z "$RBRN_UPLINK_GATEWAY" ] && [ -n "$RB_UPLINK_GATEWAY" ]; then
		export RBRN_UPLINK_GATEWAY=$RB_UPLINK_GATEWAY
	fi
	M=$RBRN_MONIKER
	SENTRY=rb-$M-sentry
	BOTTLE=rb-$M-bottle
	ENCLAVE=rb-$M-enclave
	RUN=$RB_RUN/$M
}

exists() { podman container exists "$1"; }

# What this start created, so that a failure takes down exactly that: never
# a container or network of the same name that was there before.
MADE_NET=0

BOTTLE_JOB=

undo() {
	local c
	# the bottle is made in the background: let it finish, then remove it
	[ -z "$BOTTLE_JOB" ] || wait "$BOTTLE_JOB" 2>/dev/null
	for c in bottle sentry; do
		[ -s "$RUN/$c.cid" ] && podman rm -f -t 0 "$(<"$RUN/$c.cid")" >/dev/null 2>&1
	done
	"$RB_BIN/rb-fw-apply" --nameplate "$NP_FILE" remove || true
	podman network rm "$ENCLAVE" >/dev/null 2>&1 || true
	rm -rf "$RUN"
}

# podman run failed and said why; name the remedy for the common causes.
# Asked only now: checks up front would slow every start. --cidfile is
# written once podman created the container, so no file means the name
# was taken.
run_failed() { # NAME IMAGE CIDFILE
	podman image exists "$2" ||
		die "RBRN_SENTRY_IMAGE/RBRN_BOTTLE_IMAGE: \"$2\": no such image (make images)"
	[ ! -s "$3" ] && podman container exists "$1" &&
		die "$M is already started (or left over): $1 exists; run make bottle-stop NAMEPLATE=$NP_ARG first"
	exit 2
}

# The bottle's seccomp profile: podman's default without user namespaces
# (rb-net-create --seccomp-profile, lib/seccomp.c says why and how).
RB_SECCOMP_BASE=${RB_SECCOMP_BASE:-/usr/share/containers/seccomp.json}
# Written once per base profile into BOTTLE_SECCOMP and kept while it is
# newer than the base and the command that derives it (a start saves that
# call); replaced atomically, shared by all nameplates.
bottle_seccomp() {
	BOTTLE_SECCOMP=$RB_RUN/bottle-seccomp-$(cksum <<<"$RB_SECCOMP_BASE" | cut -d' ' -f1).json
	[ -r "$RB_SECCOMP_BASE" ] ||
		die "RB_SECCOMP_BASE: \"$RB_SECCOMP_BASE\": cannot read podman's default seccomp profile"
	if [ -s "$BOTTLE_SECCOMP" ] && [ "$BOTTLE_SECCOMP" -nt "$RB_SECCOMP_BASE" ] &&
		[ "$BOTTLE_SECCOMP" -nt "$RB_BIN/rb-net-create" ]; then
		return 0
	fi
	mkdir -p "$RB_RUN"
	# its message names the base and what is wrong with it
	"$RB_BIN/rb-net-create" --seccomp-profile "$RB_SECCOMP_BASE" "$BOTTLE_SECCOMP" || exit
}

# The PIDs come from --pidfile (a podman call less per container), which
# the remote client of rb-tools (mk/remote.sh) does not have: there podman
# inspect says. Either is checked against the kernel by the rb tools.
container_pid() { # NAME FILE
	if [ "${RB_MODE:-}" = tools ]; then
		podman inspect -f '{{.State.Pid}}' "$1" 2>/dev/null || true
	else
		printf '%s\n' "$(<"$RUN/$2.pid")"
	fi
}

start() {
	local fw bridge spid bpid low=() SENTRY_PIDFILE=() BOTTLE_PIDFILE=()
	if [ "${RB_MODE:-}" != tools ]; then
		SENTRY_PIDFILE=(--pidfile "$RUN/sentry.pid")
		BOTTLE_PIDFILE=(--pidfile "$RUN/bottle.pid")
	fi
	# What the nameplate check saw in podman network ls; the enclave's
	# creation below is what claims the moniker.
	[ "$RB_ENCLAVE_PRESENT" = 0 ] ||
		die "$M is already started (or left over): run make bottle-stop NAMEPLATE=$NP_ARG first"
	[ "$RB_UPLINK_PRESENT" = 1 ] ||
		die "RBRN_UPLINK_NETWORK: \"$RBRN_UPLINK_NETWORK\": no such podman network (tests: make world-start)"

	bottle_seccomp

	podman network create --internal --disable-dns --subnet "$RBRN_ENCLAVE_SUBNET" \
		--label "rb.moniker=$M" "$ENCLAVE" >/dev/null ||
		die "cannot create podman network $ENCLAVE (started by someone else meanwhile?)"
	# From here on every failure takes down what this run created.
	trap 'rc=$?; if [ $rc -ne 0 ] && [ $MADE_NET = 1 ]; then echo "bottle: start failed, removing what it created" >&2; undo >&2; fi' EXIT
	MADE_NET=1
	# Nothing of M runs (no enclave): anything in $RUN is stale.
	rm -rf "$RUN"
	mkdir -p "$RUN"
	chmod 0755 "$RUN"
	"$RB_BIN/rb-fw-apply" --nameplate "$NP_FILE" resolver-conf >"$RUN/dnsmasq.conf"
	"$RB_BIN/rb-fw-apply" --nameplate "$NP_FILE" learner-conf >"$RUN/learner.conf"
	record

	# An entry port below 1024 (an sshd on 22): the bottle's uid, without
	# capabilities, may bind it and those above it in the bottle's own
	# netns, where nothing but the entry's DNAT reaches.
	if [ "$RBRN_ENTRY_ENABLED" = 1 ] && [ "$RBRN_ENTRY_PORT_ENCLAVE" -lt 1024 ]; then
		low=(--sysctl "net.ipv4.ip_unprivileged_port_start=$RBRN_ENTRY_PORT_ENCLAVE")
	fi

	# The bottle: no capability, its uid, no IPv6; DNS only via the sentry.
	# Its workload (limits, volumes, env file, workdir, tty, command) comes
	# as ready podman arguments from the C validator, one word each.
	# Created and initialized (its namespaces exist, its command has not
	# started), so that the command finds its route via the sentry from
	# its first instruction: an agent that calls its API at once and gives
	# up on a failure would otherwise die of the bring-up. Nothing of the
	# bottle runs before podman start below, so it is made while the sentry
	# starts (bring-up time: make bench); undo waits for it.
	podman create --pull never --name "$BOTTLE" --label "rb.moniker=$M" \
		--cidfile "$RUN/bottle.cid" "${BOTTLE_PIDFILE[@]}" \
		--network "$ENCLAVE:ip=$RBRN_ENCLAVE_BOTTLE_IP" --dns "$RBRN_ENCLAVE_SENTRY_IP" \
		--user "$RBRN_BOTTLE_UID:$RBRN_BOTTLE_UID" \
		--cap-drop ALL --security-opt no-new-privileges --sysctl net.ipv4.ip_forward=0 \
		--security-opt "seccomp=$BOTTLE_SECCOMP" \
		--sysctl net.ipv6.conf.all.disable_ipv6=1 --sysctl net.ipv6.conf.default.disable_ipv6=1 \
		--sysctl "net.ipv4.ping_group_range=$RBRN_BOTTLE_UID $RBRN_BOTTLE_UID" "${low[@]}" \
		"${RB_BOTTLE_RUN_ARGS[@]}" \
		"$RBRN_BOTTLE_IMAGE" "${RB_BOTTLE_ARGV[@]}" >/dev/null &&
		podman init "$BOTTLE" >/dev/null &
	BOTTLE_JOB=$!

	# The bridge's name, asked while the sentry starts; the PIDs come from
	# --pidfile: bring-up time is a feature (make bench), and every podman
	# call costs about 0.1 s. The rb tools check these hints against the
	# kernel (addresses, veth ports of the bridge).
	exec {BR_FD}< <(podman network inspect --format '{{.NetworkInterface}}' "$ENCLAVE")
	BR_PID=$!

	# icmp_ratelimit=0: every REJECT must reach the bottle, or a burst of
	# blocked connections would hang instead of failing fast.
	# PID 1 is rb-sentryd (cmd/rb-sentryd.c). Its capabilities: NET_ADMIN
	# for the learner (NFQUEUE verdicts, the answers set) and to bind the
	# denial log's NFLOG group; SETUID, SETGID, SETPCAP to start each child
	# as its own uid with an emptied bounding set. dnsmasq gets none at
	# all: port 53 is unprivileged in the sentry's netns instead
	# (ip_unprivileged_port_start=53; nothing else listens there). The
	# denial log writes its own directory on a 4 MiB tmpfs (podman 4.3
	# cannot mount one with the log's uid: sticky and world-writable, so
	# the log makes /var/log/rb/denials itself, as uid 991).
	# The sentry starts with forwarding off (a container's netns would inherit
	# the host's ip_forward=1), also after a restart of the container: it
	# routes nothing until rb-fw-apply has committed the policy.
	podman run -d --pull never --name "$SENTRY" --label "rb.moniker=$M" \
		--cidfile "$RUN/sentry.cid" "${SENTRY_PIDFILE[@]}" \
		--network "$ENCLAVE:ip=$RBRN_ENCLAVE_SENTRY_IP" --network "$RBRN_UPLINK_NETWORK" \
		--cap-drop ALL --cap-add NET_ADMIN,SETUID,SETGID,SETPCAP \
		--security-opt no-new-privileges --sysctl net.ipv4.ip_forward=0 \
		--sysctl net.ipv6.conf.all.disable_ipv6=1 --sysctl net.ipv6.conf.default.disable_ipv6=1 \
		--sysctl net.ipv4.icmp_ratelimit=0 --sysctl net.ipv4.ip_unprivileged_port_start=53 \
		--read-only --tmpfs /run --tmpfs /tmp \
		--tmpfs /var/log/rb:rw,size=4m,mode=1777 \
		-v "$RUN/dnsmasq.conf:/etc/rb/dnsmasq.conf:ro" \
		-v "$RUN/learner.conf:/etc/rb/learner.conf:ro" \
		"$RBRN_SENTRY_IMAGE" ${RB_LEARN_TTL_MIN:+--ttl-min "$RB_LEARN_TTL_MIN"} \
		${RB_LEARN_TTL_MAX:+--ttl-max "$RB_LEARN_TTL_MAX"} >/dev/null ||
		run_failed "$SENTRY" "$RBRN_SENTRY_IMAGE" "$RUN/sentry.cid"
	bridge=$(cat <&"$BR_FD") || true
	wait "$BR_PID" || die "cannot inspect podman network $ENCLAVE"
	spid=$(container_pid "$SENTRY" sentry)
	[[ $spid =~ ^[1-9][0-9]*$ ]] || die "podman wrote no PID for $SENTRY"
	"$RB_BIN/rb-net-create" --nameplate "$NP_FILE" --stage sentry \
		--netns-sentry "/proc/$spid/ns/net" --bridge "$bridge"

	# The policy and the bottle come up side by side. That is still fail
	# closed: the bridge is locked down (stage sentry), the sentry forwards
	# nothing until rb-fw-apply is done, and the bottle has no route at all
	# until stage bottle, which waits for both.
	"$RB_BIN/rb-fw-apply" --nameplate "$NP_FILE" --pid "$spid" --host \
		--bridge "$bridge" ${RB_UPLINK_BRIDGE:+--uplink-bridge "$RB_UPLINK_BRIDGE"} apply &
	fw=$!

	if ! wait "$BOTTLE_JOB"; then
		BOTTLE_JOB=
		wait "$fw" || true
		run_failed "$BOTTLE" "$RBRN_BOTTLE_IMAGE" "$RUN/bottle.cid"
	fi
	BOTTLE_JOB=
	wait "$fw" || exit 2
	bpid=$(container_pid "$BOTTLE" bottle)
	[[ $bpid =~ ^[1-9][0-9]*$ ]] || die "podman wrote no PID for $BOTTLE"
	"$RB_BIN/rb-net-create" --nameplate "$NP_FILE" --stage bottle \
		--netns-bottle "/proc/$bpid/ns/net" --bridge "$bridge"
	podman start "$BOTTLE" >/dev/null || die "cannot start $BOTTLE"
	trap - EXIT
	echo "bottle: $M started: $BOTTLE ($RBRN_ENCLAVE_BOTTLE_IP) behind $SENTRY ($RBRN_ENCLAVE_SENTRY_IP)"
}

# What `list` needs to ask about this bottle later, from any directory:
# the nameplate's path and the values it was started with (the command
# line's RBRN_* overrides included), exported, as the C validator quoted
# them. Not secret: the env file's values are never among them.
record() {
	local np
	np=$(realpath "$NP_FILE")
	# in rb-tools (mk/remote.sh) the client's nameplate is gone with the
	# container: list reads the copy kept beside the bottle's state
	if [ "${RB_MODE:-}" = tools ]; then
		cp "$NP_FILE" "$RUN/nameplate.mk"
		np=$RUN/nameplate.mk
	fi
	{
		printf 'RB_NP_FILE=%q\n' "$np"
		grep '^RBRN_[A-Z_]*=' <<<"$NP_ENV" | sed 's/^/export /'
	} >"$RUN/nameplate"
}

# Every started bottle, one line each, like podman ps: found by the
# enclave networks rb labelled (rb.moniker), asked with each one's own
# recorded nameplate. Exit 0 when every one is up with its policy in
# force, 3 otherwise.
list() {
	local m rc=0 out st
	local -A seen=()
	printf '%-14s %-9s %-9s %-8s %-9s %-9s %-11s %s\n' \
		NAMEPLATE SENTRY BOTTLE BACKEND POLICY RESOLVER LEARNER BOTTLE-IP
	while read -r m; do
		if [ -z "$m" ] || [ -n "${seen[$m]:-}" ]; then continue; fi
		seen[$m]=1
		if [ ! -s "$RB_RUN/$m/nameplate" ]; then
			printf '%-14s %s\n' "$m" "left over or started by another rb: no $RB_RUN/$m/nameplate (make bottle-stop NAMEPLATE=...)"
			rc=3
			continue
		fi
		st=0
		out=$(
			set +u
			# shellcheck disable=SC1090
			. "$RB_RUN/$m/nameplate"
			bash "${BASH_SOURCE[0]}" status "$RB_NP_FILE" 2>&1
		) || st=$?
		[ $st = 0 ] || rc=3
		awk -v m="$m" -v ip="$(sed -n "s/^export RBRN_ENCLAVE_BOTTLE_IP='\(.*\)'$/\1/p" "$RB_RUN/$m/nameplate")" '
			function word(s) { split(s, w, " "); return w[1] }
			$1 == "rb-" m "-sentry:" { sentry = word(substr($0, length($1) + 2)) }
			$1 == "rb-" m "-bottle:" { bottle = word(substr($0, length($1) + 2)) }
			/^firewall: backend / { backend = $3 }
			/^policy: in force/ { policy = "in-force" }
			/^policy: differs/ { policy = "DIFFERS" }
			/^resolver: the nameplate/ { resolver = "ok" }
			/^resolver: configuration differs/ { resolver = "DIFFERS" }
			/^learner: running/ { learner = "running" }
			/^learner: / && !/^learner: running/ { learner = "NOT-RUNNING" }
			/^learner: NOT answering/ { learner = "HUNG" }
			END {
				printf "%-14s %-9s %-9s %-8s %-9s %-9s %-11s %s\n", m, sentry ? sentry : "?",
					bottle ? bottle : "?", backend ? backend : "-", policy ? policy : "-",
					resolver ? resolver : "-", learner ? learner : "-", ip
			}' <<<"$out"
	done < <(podman network ls --filter label=rb.moniker --format '{{.Name}}' |
		sed -n 's/^rb-\(.*\)-enclave$/\1/p' | sort)
	return $rc
}

# Reapplies routes and policy, e.g. after the sentry container restarted
# (its new netns forwards nothing until this runs).
# The running sentry takes the rewritten resolver and learner files
# without a restart (rb-sentryd's SIGUSR1): its netns, the policy, the
# learned answers of the names still allowed and the bottle's flows stay.
# A learner whose allowlist lost a name empties the answers and conntrack
# before it binds, so the flows to former answers meet the policy again.
# Done when rb-sentryd has started a new dnsmasq (last) and, with DNS on,
# the new learner is bound.
sentry_reload() {
	local spid old new=
	spid=$(podman inspect -f '{{.State.Pid}}' "$SENTRY")
	old=$(child_pid "$spid" dnsmasq) || old=
	kill -USR1 "$spid"
	for _ in $(seq 100); do
		new=$(child_pid "$spid" dnsmasq) && [ "$new" != "$old" ] && break
		new=
		sleep 0.05
	done
	[ -n "$new" ] || RB_EXIT=2 die "the sentry did not reload its resolver (podman logs $SENTRY)"
	[ "$RBRN_UPLINK_DNS_ENABLED" = 1 ] || return 0
	for _ in $(seq 100); do
		learner_bound "$spid" && return 0
		sleep 0.05
	done
	RB_EXIT=2 die "the sentry's learner did not come back after the reload (podman logs $SENTRY)"
}

reapply() {
	if ! exists "$SENTRY" || ! exists "$BOTTLE"; then
		die "$M is not started"
	fi
	local c changed=0 spid
	"$RB_BIN/rb-fw-apply" --nameplate "$NP_FILE" resolver-conf >"$RUN/dnsmasq.conf.new"
	"$RB_BIN/rb-fw-apply" --nameplate "$NP_FILE" learner-conf >"$RUN/learner.conf.new"
	for c in dnsmasq learner; do
		if ! cmp -s "$RUN/$c.conf.new" "$RUN/$c.conf"; then
			# the sentry's bind mount holds the file's inode: rewrite it
			# in place
			cat "$RUN/$c.conf.new" >"$RUN/$c.conf"
			changed=1
		fi
		rm -f "$RUN/$c.conf.new"
	done
	# A stopped sentry reads the files as it starts (its new netns
	# forwards nothing until the policy below is in); a running one
	# reloads them, and its flows stay (sentry_reload).
	if [ "$(podman inspect -f '{{.State.Running}}' "$SENTRY")" != true ]; then
		podman start "$SENTRY" >/dev/null
	elif [ $changed = 1 ]; then
		sentry_reload
	fi
	"$RB_BIN/rb-net-create" --nameplate "$NP_FILE" --stage sentry
	# Stage sentry has turned forwarding off; rb-fw-apply turns it on and,
	# when the policy is still in force, leaves its rules, conntrack and
	# the learned answers alone: the bottle's flows go on.
	"$RB_BIN/rb-fw-apply" --nameplate "$NP_FILE" apply
	# a learner (or denial log) that exited is started again by PID 1;
	# the policy, the answers and conntrack stay as they are
	spid=$(podman inspect -f '{{.State.Pid}}' "$SENTRY")
	if [ "$RBRN_UPLINK_DNS_ENABLED" = 1 ]; then
		local lp healthy=1
		learner_health "$spid" >/dev/null || healthy=0
		# A hung learner (stopped, or deciding nothing) is still PID 1's
		# child, which cannot tell and holds no CAP_KILL: it is ended
		# here, and the answers waiting in its queue are dropped with it.
		if [ $healthy = 0 ] && lp=$(learner_pid "$spid"); then
			kill -KILL "$lp" 2>/dev/null || true
			for _ in $(seq 50); do
				learner_pid "$spid" >/dev/null || break
				sleep 0.1
			done
			learner_pid "$spid" >/dev/null && RB_EXIT=2 die "the sentry's hung learner (pid $lp) did not end"
		fi
		# SIGHUP: PID 1 starts again what exited, and dnsmasq empties its
		# cache (the apply may have replaced the answers sets, on another
		# backend: what dnsmasq answers next is learned into the sets in force)
		kill -HUP "$spid"
		if [ $healthy = 0 ]; then
			for _ in $(seq 50); do
				learner_bound "$spid" && break
				sleep 0.1
			done
			learner_health "$spid" >/dev/null || RB_EXIT=2 die "the sentry's learner did not come back"
		fi
	fi
	# a stopped bottle is set up before its command runs again (see start)
	local brun
	brun=$(podman inspect -f '{{.State.Running}}' "$BOTTLE")
	[ "$brun" = true ] || podman init "$BOTTLE" >/dev/null
	# also empties the bottle's neighbour table: a restarted sentry has a new MAC
	"$RB_BIN/rb-net-create" --nameplate "$NP_FILE" --stage bottle
	[ "$brun" = true ] || podman start "$BOTTLE" >/dev/null
	echo "bottle: $M policy reapplied"
}

stop() {
	local rc=0
	# Bottle first: nothing may be left behind a sentry that is gone.
	podman rm -f -t 0 "$BOTTLE" >/dev/null 2>&1 || true
	podman rm -f -t 0 "$SENTRY" >/dev/null 2>&1 || true
	"$RB_BIN/rb-fw-apply" --nameplate "$NP_FILE" remove || rc=2
	podman network rm -f "$ENCLAVE" >/dev/null 2>&1 || true
	rm -rf "$RUN"
	exists "$BOTTLE" && { echo "bottle: cannot remove $BOTTLE" >&2; rc=2; }
	exists "$SENTRY" && { echo "bottle: cannot remove $SENTRY" >&2; rc=2; }
	podman network exists "$ENCLAVE" && { echo "bottle: cannot remove $ENCLAVE" >&2; rc=2; }
	[ $rc -eq 0 ] && echo "bottle: $M stopped"
	return $rc
}

# rb-sentryd's children (PID 1 of the sentry, given as PID in the host).
child_pid() {
	local c kids
	read -r -a kids <"/proc/$1/task/$1/children" 2>/dev/null || true
	for c in "${kids[@]}"; do
		[ "$(cat "/proc/$c/comm" 2>/dev/null)" = "$2" ] && { echo "$c"; return 0; }
	done
	return 1
}
learner_pid() { child_pid "$1" rb-learner; }
# The kernel's word on the learner's NFQUEUE queue (0) in the sentry's
# netns: "WAITING DECIDED" (replies with no verdict yet, replies that had
# one), or nothing and exit 1 when nobody holds it. Of the columns "queue
# portid waiting mode range dropped user_dropped id_seq 1", every queued
# reply got an id; those the socket could not take are user_dropped.
# (lib/learner_health.c reads the same for rb-verify.)
learner_queue() {
	nsenter -t "$1" -n cat /proc/net/netfilter/nfnetlink_queue 2>/dev/null |
		awk '$1 == 0 { print $3, $8 - $7 - $3; found = 1 } END { exit !found }'
}
learner_bound() { learner_queue "$1" >/dev/null; }
# learner_health SPID: one status line; exit 0 when the learner answers.
# Gone: its queue is unbound. Hung: stopped, or answers wait in its queue
# and none gets a verdict for 2 s (a live learner takes milliseconds).
learner_health() {
	local lp q st waiting decided d
	if ! lp=$(learner_pid "$1") || ! q=$(learner_queue "$1") ||
		! st=$(sed 's/.*) //' "/proc/$lp/stat" 2>/dev/null) || [[ $st == [ZX]* ]]; then
		echo "learner: NOT running: upstream answers are dropped, nothing new resolves or opens (make bottle-reapply)"
		return 1
	fi
	read -r waiting decided <<<"$q"
	for _ in $(seq 20); do
		[ "$waiting" -gt 0 ] || break
		sleep 0.1
		q=$(learner_queue "$1") || break
		read -r waiting d <<<"$q"
		[ "$d" = "$decided" ] || { waiting=0; break; }
	done
	if [ "$waiting" -gt 0 ]; then
		echo "learner: NOT answering: $waiting answers wait, no verdict in 2 s (pid $lp, state ${st%% *}); nothing new opens (make bottle-reapply)"
		return 1
	fi
	if [[ $st == [Tt]* ]]; then
		echo "learner: NOT answering: pid $lp is stopped; nothing new opens (make bottle-reapply)"
		return 1
	fi
	echo "learner: running (pid $lp), bound to NFQUEUE 0"
}

# Exit 0 when both containers run, the policy in the sentry is the
# nameplate's and the resolver runs the nameplate's configuration; 3 when
# anything is not (each named, with what to do).
status() {
	local c st rc=0 diff sentry_up=0
	for c in "$SENTRY" "$BOTTLE"; do
		if st=$(podman inspect -f '{{.State.Status}} pid {{.State.Pid}}' "$c" 2>/dev/null); then
			echo "$c: $st"
			if [[ $st == running* ]]; then
				[ "$c" = "$SENTRY" ] && sentry_up=1
			else
				rc=3
			fi
		else
			echo "$c: absent"
			rc=3
		fi
	done
	if podman network exists "$ENCLAVE"; then
		echo "$ENCLAVE: present"
	else
		echo "$ENCLAVE: absent"
		rc=3
	fi
	[ $sentry_up = 1 ] || return $rc
	# the first line names the backend that holds the policy (RB_FW_BACKEND)
	local ok=1
	diff=$("$RB_BIN/rb-fw-apply" --nameplate "$NP_FILE" check 2>&1) || ok=0
	[[ $diff == "# backend "* ]] && echo "firewall: ${diff%%$'\n'*}" | sed 's/# backend /backend /'
	diff=$(grep -v '^# backend ' <<<"$diff" || true)
	if [ $ok = 1 ]; then
		echo "policy: in force"
	else
		echo "policy: differs from the nameplate (make bottle-reapply):"
		printf '  %s\n' "${diff//$'\n'/$'\n'  }"
		rc=3
	fi
	# what the running dnsmasq and learner read at start (mounted from here)
	if "$RB_BIN/rb-fw-apply" --nameplate "$NP_FILE" resolver-conf | cmp -s - "$RUN/dnsmasq.conf" &&
		"$RB_BIN/rb-fw-apply" --nameplate "$NP_FILE" learner-conf | cmp -s - "$RUN/learner.conf"; then
		echo "resolver: the nameplate's configuration"
	else
		echo "resolver: configuration differs from the nameplate (make bottle-reapply)"
		rc=3
	fi
	if [ "$RBRN_UPLINK_DNS_ENABLED" = 1 ]; then
		learner_health "$(podman inspect -f '{{.State.Pid}}' "$SENTRY")" || rc=3
	fi
	return $rc
}

running() {
	[ "$(podman inspect -f '{{.State.Running}}' "$BOTTLE" 2>/dev/null)" = true ] ||
		die "$M is not started ($BOTTLE is not running): make bottle-start NAMEPLATE=$NP_ARG"
}

# podman exec runs as the bottle's --user, with its environment (the env
# file's too) and its limits; -t only when there is a terminal to give.
shell() {
	local term=()
	running
	[ -t 0 ] && [ -t 1 ] && term=(-t)
	exec podman exec --interactive "${term[@]}" "$BOTTLE" /bin/sh
}

exec_cmd() {
	local term=()
	[ -n "${CMD:-}" ] || die "CMD: not set: make bottle-exec NAMEPLATE=$NP_ARG CMD='...'"
	running
	[ -t 0 ] && [ -t 1 ] && term=(-t)
	exec podman exec --interactive "${term[@]}" "$BOTTLE" /bin/sh -c "$CMD"
}

# The bottle's command on its own terminal (RBRN_BOTTLE_TTY=1 creates it
# with --interactive --tty): what is typed reaches the command, its screen
# comes back. Ctrl-P Ctrl-Q detaches and leaves it running; a signal to
# this attach (make interrupted, the terminal closed) is not passed on to
# the command (--sig-proxy=false).
attach() {
	local st
	st=$(podman inspect -f '{{.State.Running}} {{.Config.Tty}} {{.Config.OpenStdin}}' "$BOTTLE" 2>/dev/null) ||
		die "$M is not started: no $BOTTLE"
	[[ $st == true* ]] ||
		die "$M is not started ($BOTTLE is not running): make bottle-start NAMEPLATE=$NP_ARG"
	[ "$st" = "true true true" ] ||
		die "$BOTTLE's command has no terminal (started with RBRN_BOTTLE_TTY=0): make bottle-logs NAMEPLATE=$NP_ARG FOLLOW=1 shows its output"
	echo "bottle: attached to $BOTTLE's command; Ctrl-P Ctrl-Q detaches and leaves it running" >&2
	exec podman attach --detach-keys ctrl-p,ctrl-q --sig-proxy=false "$BOTTLE"
}

logs() {
	local follow=()
	case ${FOLLOW:-0} in
	0) ;;
	1) follow=(--follow) ;;
	*) die "FOLLOW: \"$FOLLOW\": must be 0 or 1" ;;
	esac
	exists "$BOTTLE" || die "$M is not started: no $BOTTLE"
	exec podman logs "${follow[@]}" "$BOTTLE"
}

usage="usage: $0 start|stop|status|reapply|shell|exec|logs|attach|suggest NAMEPLATE | log NAMEPLATE [--follow] [--json] | list"
if [ "${1:-}" = list ] && [ $# = 1 ]; then
	list
	exit
fi
[ $# -ge 2 ] || { echo "$usage" >&2; exit 1; }
[ $# -eq 2 ] || [ "$1" = log ] || { echo "$usage" >&2; exit 1; }
NP_ARG=$2
verb=$1
shift 2
case $verb in
start) load "$NP_ARG" ;;
stop | status | reapply | shell | exec | logs | attach | log | suggest) load "$NP_ARG" --policy-only ;;
*) echo "$usage" >&2; exit 1 ;;
esac
case $verb in
exec) exec_cmd ;;
log | suggest)
	# shellcheck source=mk/denials.sh
	. "$(dirname "${BASH_SOURCE[0]}")/denials.sh"
	"$verb" "$@"
	;;
*) "$verb" ;;
esac
