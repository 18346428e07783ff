# -*- bash -*-
# Shared by every test/NNN-area.bats, in the style of podman's test/system
# helpers and netavark's test/helpers.bash: small functions, real state, and
# cleanup that runs even when a test fails.

bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

RB_TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
RB_BUILD=${RB_BUILD:-build}
RB_BIN=${RB_BIN:-$RB_TOP/$RB_BUILD/bin}
export RB_TOP RB_BIN
# RB_TEST_SLOW=N (default 1): this machine runs about N times slower than
# the ones the suite's timings were made on (check-vm's guest under qemu's
# TCG sets it). Tests whose answers must live through several commands, or
# that time a burst, scale those lifetimes, waits and sizes by RB_SLOW; what
# they assert stays the same.
RB_SLOW=${RB_TEST_SLOW:-1}
case $RB_SLOW in
'' | 0* | *[!0-9]*) echo "RB_TEST_SLOW=$RB_SLOW: not a whole number from 1" >&2; exit 1 ;;
esac
# RB_TEST_SHRINK=N (default 1): bursts and loops of many commands (070's
# 1,000 names) run 1/N of their size. Under TCG a command costs about 50
# times what it costs here, far more than the few podman execs RB_SLOW
# covers, and the guest's run must stay within CI's time.
RB_SHRINK=${RB_TEST_SHRINK:-1}
case $RB_SHRINK in
'' | 0* | *[!0-9]*) echo "RB_TEST_SHRINK=$RB_SHRINK: not a whole number from 1" >&2; exit 1 ;;
esac
# Every object a test creates carries this prefix, so the suite-level leak
# check (test/999-leaks.bats) and teardown can find exactly what we made.
RB_TEST_PREFIX=rbt

# A short unique suffix per test: netns, podman objects and chains use it.
rb_uid() {
    printf '%s%s' "$(printf '%x' "$BATS_SUITE_TEST_NUMBER")" "$(head -c3 /dev/urandom | od -An -tx1 | tr -d ' \n')"
}

# Creates a network namespace named rbt-<id> and records it for teardown.
# Usage: ns=$(rb_netns_new)
rb_netns_new() {
    local ns="${RB_TEST_PREFIX}-$(rb_uid)"
    ip netns add "$ns" || return 1
    ip -n "$ns" link set lo up
    echo "$ns" >>"$BATS_TEST_TMPDIR/.netns"
    echo "$ns"
}

# Deletes every netns this test created. Call from teardown().
rb_netns_cleanup() {
    local ns
    [ -f "$BATS_TEST_TMPDIR/.netns" ] || return 0
    while read -r ns; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
        ip netns del "$ns" 2>/dev/null
    done <"$BATS_TEST_TMPDIR/.netns"
    rm -f "$BATS_TEST_TMPDIR/.netns"
}

# Records a podman object (container or network) for teardown.
rb_track() { echo "$1 $2" >>"$BATS_TEST_TMPDIR/.podman"; }

rb_podman_cleanup() {
    [ -f "$BATS_TEST_TMPDIR/.podman" ] || return 0
    local kind name
    # containers first, then networks (a network in use cannot be removed)
    while read -r kind name; do
        [ "$kind" = container ] && podman rm -f -t 0 "$name" >/dev/null 2>&1
    done <"$BATS_TEST_TMPDIR/.podman"
    while read -r kind name; do
        [ "$kind" = network ] && podman network rm -f "$name" >/dev/null 2>&1
    done <"$BATS_TEST_TMPDIR/.podman"
    rm -f "$BATS_TEST_TMPDIR/.podman"
}

# The legacy xtables rules of a netns, as iptables-legacy-save prints them,
# without counters and comments lines that change between runs.
rb_save() {
    local ns=$1; shift
    ip netns exec "$ns" iptables-legacy-save "$@" | grep -v '^#'
}

# The backend the suite runs on (make check RB_FW_BACKEND=nft): what
# rb-fw-apply's auto picks unless RB_FW_BACKEND names one.
rb_backend() {
    case ${RB_FW_BACKEND:-auto} in
    xtables | nft) echo "$RB_FW_BACKEND" ;;
    *) if [ -e /proc/net/ip_tables_names ] && ipset list -n >/dev/null 2>&1; then echo xtables; else echo nft; fi ;;
    esac
}

# For the tests that read or write xtables state (iptables-legacy-save,
# ipset): their nft twins are in test/021-fw-nft.bats.
rb_xtables_only() {
    [ "$(rb_backend)" = xtables ] || skip "reads xtables state; test/021-fw-nft.bats has the nft twin"
}

# rb_nsexec WHERE CMD...: CMD in the netns WHERE names: a netns of `ip
# netns` (the netns tests) or a PID (a container's, through nsenter).
rb_nsexec() {
    local w=$1
    shift
    case $w in
    "" | *[!0-9]*) ip netns exec "$w" "$@" ;;
    *) nsenter -t "$w" -n "$@" ;;
    esac
}

# Whether this kernel's nftables can hand packets to userspace (the queue
# expression, CONFIG_NFT_QUEUE): the learner sees the resolver's replies
# only through NFQUEUE, so on nft without it no allowed name opens
# anything. The kernel is asked once per run, in a netns of its own: a
# table and chain it must take, then a rule with a queue.
rb_nft_has_queue() {
    local f=$BATS_RUN_TMPDIR/.rb-nft-queue ns=$RB_TEST_PREFIX-nfq$$ r
    if [ ! -s "$f" ]; then
        ip netns add "$ns" || return 2
        if ! ip netns exec "$ns" nft -f - <<<$'add table inet rbt-probe\nadd chain inet rbt-probe c' >/dev/null 2>&1; then
            ip netns del "$ns"
            echo "rb_nft_has_queue: nft cannot create a table in a new netns" >&2
            return 2
        fi
        if ip netns exec "$ns" nft add rule inet rbt-probe c queue num 0 >/dev/null 2>&1; then r=yes; else r=no; fi
        ip netns del "$ns"
        echo "$r" >"$f.$$" && mv "$f.$$" "$f"
    fi
    [ "$(cat "$f")" = yes ]
}

# For the tests that need the learner (an allowed name's answers opened):
# skipped on the nft backend when the kernel has no nft queue. What such a
# sentry does instead (an allowed name opens nothing) has tests of its own
# (rb_learnerless). RB_LEARNER_REQUIRED=1 (make check-vm, whose kernel has
# the queue: its run exists to prove the learner) fails them instead.
rb_need_learner() {
    local rc=0
    [ "$(rb_backend)" = nft ] || return 0
    rb_nft_has_queue || rc=$?
    case $rc in
    0) ;;
    1) rb_fail_if_learner_required
       skip "needs the learner's NFQUEUE: this kernel's nftables has no queue (CONFIG_NFT_QUEUE not set), where an allowed name opens nothing" ;;
    *) fail "cannot ask the kernel whether nftables has a queue" ;;
    esac
}

# Fails when the run was asked to prove the learner (RB_LEARNER_REQUIRED=1)
# on a kernel whose nftables cannot queue to it.
rb_fail_if_learner_required() {
    [ "${RB_LEARNER_REQUIRED:-0}" != 1 ] ||
        fail "RB_LEARNER_REQUIRED=1, but this kernel's nftables has no queue (CONFIG_NFT_QUEUE): the learner cannot run"
}

# For the tests of that case: the nft backend on a kernel without nft queue.
rb_learnerless() {
    local rc=0
    [ "$(rb_backend)" = nft ] || skip "the $(rb_backend) backend queues to the learner"
    rb_nft_has_queue || rc=$?
    case $rc in
    0) skip "this kernel's nftables has a queue (CONFIG_NFT_QUEUE): the learner runs" ;;
    1) ;;
    *) fail "cannot ask the kernel whether nftables has a queue" ;;
    esac
}

# rb_nft_norm: `nft -j list` output as one object per line, sorted keys,
# without what traffic and time change (counters, rule and object handles,
# the learned answers of RB-DNS and RB-DNS-PORT): for "unchanged" checks.
rb_nft_norm() {
    jq -S -c '.nftables[] | select(has("metainfo") | not)
        | if .set and (.set.name | startswith("RB-DNS")) then del(.set.elem) else . end
        | walk(if type == "object" then del(.handle) else . end)
        | walk(if type == "object" and (.counter | type) == "object" then .counter = {} else . end)'
}

# rb_policy WHERE: the sentry policy of the suite's backend as the kernel
# holds it in netns WHERE (rb_nsexec), without counters and learned
# answers: iptables-legacy-save and the ipsets' members, or table inet rb.
rb_policy() {
    local w=$1 s
    if [ "$(rb_backend)" = nft ]; then
        rb_nsexec "$w" nft -j list ruleset | rb_nft_norm
        return "${PIPESTATUS[0]}"
    fi
    rb_nsexec "$w" iptables-legacy-save | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//'
    for s in $(rb_nsexec "$w" ipset list -n | grep -v '^RB-DNS' | sort); do
        echo "ipset $s"
        rb_nsexec "$w" ipset list "$s" | sed '1,/^Members:/d' | sort
    done
}

# rb_fw_objects WHERE: every rb object of either backend in netns WHERE
# (RB-* chains and rules, RB-* ipsets, nft tables rb and rb-*), one a line;
# nothing when there is none.
rb_fw_objects() {
    local w=$1
    rb_nsexec "$w" iptables-legacy-save 2>/dev/null | grep -E -- '(^:|-j |-A )RB-' | sed 's/\[[0-9]*:[0-9]*\]//'
    rb_nsexec "$w" iptables-legacy-save -t nat 2>/dev/null | grep -E -- '(^:|-j |-A )RB-' | sed 's/\[[0-9]*:[0-9]*\]//'
    rb_nsexec "$w" ipset list -n 2>/dev/null | grep '^RB-'
    rb_nsexec "$w" nft list tables | grep -E '^table inet rb(-|$)'
    true
}

# rb_set_members WHERE SET: the members of the sentry's set SET, one a
# line, sorted, without timeouts, in ipset's syntax (ADDR, ADDR/LEN,
# ADDR,PROTO:PORT); nft's elements written the same way (an interval nft
# merged stays one: A-B).
rb_set_members() {
    if [ "$(rb_backend)" = nft ]; then
        rb_nsexec "$1" nft -j list set inet rb "$2" | jq -r '
            def one: if type == "string" then .
                elif type == "number" then tostring
                elif has("prefix") then "\(.prefix.addr)/\(.prefix.len)"
                elif has("range") then "\(.range[0] | one)-\(.range[1] | one)"
                else tojson end;
            .nftables[].set? | select(.) | .elem[]?
            | if type == "object" and has("elem") then .elem.val else . end
            | if type == "object" and has("concat") then .concat | "\(.[0] | one),\(.[1] | one):\(.[2] | one)"
              else one end' | sort
        return "${PIPESTATUS[0]}"
    fi
    rb_nsexec "$1" ipset list "$2" | sed '1,/^Members:/d; s/ timeout [0-9]*.*$//' | sort
    return "${PIPESTATUS[0]}"
}

# rb_set_tags WHERE SET: "MEMBER TAG" a line, sorted, as rb_set_members
# prints members, TAG the element's comment (the question the learner
# learned it from; "-" for none), read by the backend's own tool.
rb_set_tags() {
    if [ "$(rb_backend)" = nft ]; then
        rb_nsexec "$1" nft -j list set inet rb "$2" | jq -r '
            .nftables[].set? | select(.) | .elem[]? | select(type == "object" and has("elem")) | .elem
            | (if (.val | type) == "object" and (.val | has("concat")) then .val.concat | "\(.[0]),\(.[1]):\(.[2])"
               else .val end) + " " + (.comment // "-")' | sort
        return "${PIPESTATUS[0]}"
    fi
    rb_nsexec "$1" ipset list "$2" |
        sed -n '1,/^Members:/d; s/^\([^ ]*\) timeout [0-9]* comment "\([^"]*\)"$/\1 \2/p; s/^\([^ ]*\) timeout [0-9]*$/\1 -/p' | sort
    return "${PIPESTATUS[0]}"
}

# rb_pkts WHERE ID [filter|nat]: the packets of the sentry's rules with
# comment rb:ID in that table (summed: rb:never-private is nine rules),
# read from the kernel (netns WHERE, rb_nsexec) by the backend's own tool.
rb_pkts() {
    local w=$1 id=$2 t=${3:-filter}
    if [ "$(rb_backend)" = nft ]; then
        rb_nsexec "$w" nft -j list table inet rb | jq --arg c "rb:$id" --argjson nat "$([ "$t" = nat ] && echo true || echo false)" \
            '[.nftables[].rule? | select(.comment == $c)
              | select((.chain | test("^(nat-|RB-PREROUTING$|RB-POSTROUTING$)")) == $nat)
              | .expr[] | .counter? | select(.) | .packets] | add // 0'
    else
        rb_nsexec "$w" iptables-legacy-save -c -t "$t" | grep -F -- "--comment \"rb:$id\" " |
            sed -n 's/^\[\([0-9]*\):.*/\1/p' | awk '{ s += $1 } END { print s + 0 }'
    fi
}

# The host's part of moniker M (bridge lockdown, entry port) in this netns.
# rb_host_policy M: as the kernel holds it, without counters: the chains
# RB-H-M, RB-E-M, RB-EPOST-M, their rules and jumps, or table inet rb-M.
rb_host_policy() {
    if [ "$(rb_backend)" = nft ]; then
        if nft list tables | grep -qx "table inet rb-$1"; then
            nft -j list table inet "rb-$1" | rb_nft_norm
        fi
        return 0
    fi
    iptables-legacy-save -t filter | grep -E -- "RB-H-$1( |\$)" | sed 's/\[[0-9]*:[0-9]*\]//'
    iptables-legacy-save -t nat | grep -E -- "RB-E(POST)?-$1( |\$)" | sed 's/\[[0-9]*:[0-9]*\]//'
    true
}

# rb_host_objects M: anything of moniker M's host part, of either backend.
rb_host_objects() {
    iptables-legacy-save -t filter | grep -E -- "RB-H-$1( |\$)"
    iptables-legacy-save -t nat | grep -E -- "RB-E(POST)?-$1( |\$)"
    nft list tables | grep -x "table inet rb-$1"
    true
}

# rb_host_pkts M CHAIN: the packets of every rule of the host's CHAIN.
rb_host_pkts() {
    if [ "$(rb_backend)" = nft ]; then
        nft -j list chain inet "rb-$1" "$2" | jq '[.nftables[].rule? | select(.) | .expr[] | .counter? | select(.) | .packets] | add // 0'
    else
        iptables-legacy-save -c -t nat | grep -F -- "-A $2 " | sed -n 's/^\[\([0-9]*\):.*/\1/p' | awk '{ s += $1 } END { print s + 0 }'
    fi
}

# rb_host_chain M CHAIN: the rules of the host's CHAIN of moniker M, one a
# line, as the backend's tool prints them (iptables-legacy-save's -A
# lines of either table, or nft -s's rule lines).
rb_host_chain() {
    if [ "$(rb_backend)" = nft ]; then
        nft -s list chain inet "rb-$1" "$2" | sed -n 's/^\t\t//p'
    else
        { iptables-legacy-save -t filter; iptables-legacy-save -t nat; } | grep -E -- "^-A $2 "
    fi
}

# rb_del_rule WHERE CHAIN ID: deletes the sentry's first rule with comment
# rb:ID from CHAIN (filter or nat) of netns WHERE, on the suite's backend.
rb_del_rule() {
    local w=$1 c=$2 id=$3 t n
    if [ "$(rb_backend)" = nft ]; then
        rb_nft_delete_rule "$w" "$c" "$id"
        return
    fi
    for t in filter nat; do
        n=$(rb_nsexec "$w" iptables-legacy -t "$t" -nL "$c" --line-numbers 2>/dev/null |
            awk -v m="/* rb:$id */" 'index($0, m) { print $1; exit }')
        [ -z "$n" ] || { rb_nsexec "$w" iptables-legacy -t "$t" -D "$c" "$n"; return; }
    done
    fail "no rule rb:$id in $c"
}

# The packets of the rules with comment rb:ID in CHAIN of the sentry
# (summed: rb:never-private is nine rules), read from the kernel by the
# backend's own tool.
rule_pkts() {
    if [ "$(rb_backend)" = nft ]; then
        ip netns exec "$S" nft -j list chain inet rb "$1" |
            jq -r --arg c "rb:$2" '[.nftables[].rule? | select(.comment == $c) | .expr[] | .counter? | select(.) | .packets] | add // 0'
    else
        ip netns exec "$S" iptables-legacy -vxnL "$1" | awk -v c="/* rb:$2 */" 'index($0, c) {n += $1} END {print n + 0}'
    fi
}

# Deletes the rule with comment rb:ID from CHAIN of table inet rb in netns
# WHERE (rb_nsexec; nft addresses rules by handle).
rb_nft_delete_rule() {
    local h
    h=$(rb_nsexec "$1" nft -a list chain inet rb "$2" | sed -n "s/.*comment \"rb:$3\" # handle \([0-9]*\)$/\1/p" | head -1)
    [ -n "$h" ] || fail "no rule rb:$3 in $2"
    rb_nsexec "$1" nft delete rule inet rb "$2" handle "$h"
}

# Skip unless the images and podman are usable (tests that need containers).
# rb_run [--separate-stderr] [EXPECTED] CMD...: bats' run, in the manner of
# podman's run_podman and netavark's run_helper: the command line, its output
# and its exit code go to the test's log, the exit code must be EXPECTED (a
# number, 0 when left out; '?' takes any), and a command that outlives
# RB_RUN_TIMEOUT seconds (default 120) is killed with everything it started
# in its process group and fails the test as a timeout, so a hung podman or
# nc fails at its own line rather than at the suite's per-test timeout.
rb_run() {
    local sep=() want=0
    if [ "${1:-}" = --separate-stderr ]; then
        sep=(--separate-stderr)
        shift
    fi
    case ${1:-} in
    '?' | [0-9] | [0-9][0-9] | [0-9][0-9][0-9]) want=$1 && shift ;;
    esac
    [ $# -gt 0 ] || fail "rb_run: no command"
    printf '$ %s\n' "$*"
    run "${sep[@]}" _rb_timed "${RB_RUN_TIMEOUT:-120}" "$@"
    [ -z "$output" ] || printf '%s\n' "$output"
    [ -z "${sep[*]}" ] || [ -z "$stderr" ] || printf '[stderr] %s\n' "$stderr"
    printf '[exit %d]\n' "$status"
    [ "$status" != 124 ] || [ ! -e "$BATS_TEST_TMPDIR/.rb_run_timeout" ] ||
        { rm -f "$BATS_TEST_TMPDIR/.rb_run_timeout"; fail "timed out after ${RB_RUN_TIMEOUT:-120} s: $*"; }
    [ "$want" = '?' ] || [ "$status" = "$want" ] || fail "exit $status, expected $want: $*"
}

# _rb_timed SECONDS CMD...: CMD in a process group of its own (job control),
# and a watchdog in another that kills that group after SECONDS. The
# watchdog writes nowhere: run's capture waits for every writer to close.
_rb_timed() {
    local t=$1 pid dog rc in mark="$BATS_TEST_TMPDIR/.rb_run_timeout"
    shift
    rm -f "$mark"
    [ ! -t 0 ] || exec </dev/null
    # bash gives a background command /dev/null for stdin: the caller's
    # (a heredoc of commands for a bottle) is handed on explicitly
    exec {in}<&0
    set -m
    "$@" <&"$in" {in}<&- &
    pid=$!
    { sleep "$t" && touch "$mark" && kill -TERM -- -"$pid" && sleep 2 && kill -KILL -- -"$pid"; } </dev/null >/dev/null 2>&1 {in}<&- &
    dog=$!
    set +m
    wait "$pid"
    rc=$?
    kill -- -"$dog" 2>/dev/null
    wait "$dog" 2>/dev/null
    [ ! -e "$mark" ] || return 124
    return "$rc"
}

rb_require_images() {
    podman image exists localhost/rb-sentry:latest && podman image exists localhost/rb-bottle:latest ||
        fail "images not built: run make images"
}

# rb_keep_file PATH: PATH as it is now (or its absence) comes back in
# teardown, whatever the test did to it and however it ended.
rb_keep_file() {
    local k="$BATS_TEST_TMPDIR/.kept/${1//\//_}"
    mkdir -p "$BATS_TEST_TMPDIR/.kept"
    if [ -e "$1" ]; then cp -p "$1" "$k"; else rm -f "$k"; fi
    echo "$1" >>"$BATS_TEST_TMPDIR/.kept/list"
}

rb_restore_files() {
    local f
    [ -f "$BATS_TEST_TMPDIR/.kept/list" ] || return 0
    while read -r f; do
        rm -f "$f"
        [ ! -e "$BATS_TEST_TMPDIR/.kept/${f//\//_}" ] || cp -p "$BATS_TEST_TMPDIR/.kept/${f//\//_}" "$f"
    done <"$BATS_TEST_TMPDIR/.kept/list"
    rm -rf "$BATS_TEST_TMPDIR/.kept"
}

rb_default_teardown() {
    rb_leak_report "left by the failed test, before teardown"
    rb_restore_files
    # processes a test started outside any netns it made (lock holders)
    if [ -f "$BATS_TEST_TMPDIR/.pids" ]; then
        xargs -r kill -9 <"$BATS_TEST_TMPDIR/.pids" 2>/dev/null
        rm -f "$BATS_TEST_TMPDIR/.pids"
    fi
    rb_podman_cleanup
    rb_netns_cleanup
    if [ -f "$BATS_TEST_TMPDIR/.dirs" ]; then
        xargs -r rm -rf <"$BATS_TEST_TMPDIR/.dirs"
        rm -f "$BATS_TEST_TMPDIR/.dirs"
    fi
    rb_leak_report "still there after teardown"
}

# rb_leftovers [KIND...]: what rb and the tests may leave on this host, one
# "KIND NAME" line per object (netns, container, network, chain, ipset,
# nft-table, link, route, run, route_localnet), of every kind or of those
# named; nothing when there is none. The simulated world is no leftover:
# its container and network, its RB-WORLD chain, and route_localnet on its
# bridge (the entry port turns it on there and leaves it on, as netavark
# does: docs/security.md).
rb_leftovers() {
    local kinds=" ${*:-netns container network chain ipset nft-table link route run route_localnet} "
    local wbr='' f v
    case $kinds in *" netns "*)
        ip netns list 2>/dev/null | awk '$1 ~ /^rbt/ {print "netns " $1}' ;;
    esac
    if command -v podman >/dev/null; then
        case $kinds in *" container "*)
            podman ps -a --format '{{.Names}}' 2>/dev/null | grep -E '^(rbt|rb-)' | grep -vx rb-world | sed 's/^/container /' ;;
        esac
        case $kinds in *" network "*)
            podman network ls --format '{{.Name}}' 2>/dev/null | grep -E '^(rbt|rb-)' | grep -vx rb-world | sed 's/^/network /' ;;
        esac
        case $kinds in *" route_localnet "*)
            wbr=$(podman network inspect -f '{{.NetworkInterface}}' rb-world 2>/dev/null) || wbr='' ;;
        esac
    fi
    case $kinds in *" chain "*)
        { iptables-legacy-save -t filter; iptables-legacy-save -t nat; } 2>/dev/null |
            sed -n 's/^:\(RB-[^ ]*\) .*/chain \1/p' | grep -vx 'chain RB-WORLD' ;;
    esac
    case $kinds in *" ipset "*)
        ipset list -n 2>/dev/null | grep -E '^(RB|rb)' | sed 's/^/ipset /' ;;
    esac
    case $kinds in *" nft-table "*)
        nft list tables 2>/dev/null | awk '$3 ~ /^rb(-|$)/ {print "nft-table " $2 " " $3}' ;;
    esac
    case $kinds in *" link "*)
        ip -br link 2>/dev/null | awk '{sub(/@.*/, "", $1)} $1 ~ /^rbt/ {print "link " $1}' ;;
    esac
    # rb's enclaves are in 10.242.0.0/16 (and rb strips the address from
    # an enclave's bridge, so a running bottle has no route there either)
    case $kinds in *" route "*)
        ip -j route show table all 2>/dev/null | jq -r '.[] | select(.type != "local" and .type != "broadcast")
            | select((.dst | test("^10\\.242\\.")) or ((.dev // "") | test("^rbt")))
            | "route \(.dst) dev \(.dev // "-") table \(.table // "main")"' ;;
    esac
    # a bottle's state directory; the derived seccomp profiles are a cache
    case $kinds in *" run "*)
        [ ! -d "${RB_RUN:-/run/rb}" ] ||
            find "${RB_RUN:-/run/rb}" -mindepth 1 -maxdepth 1 ! -name 'bottle-seccomp-*.json' -printf 'run %p\n' ;;
    esac
    case $kinds in *" route_localnet "*)
        for f in /proc/sys/net/ipv4/conf/*/route_localnet; do
            v=$(cat "$f" 2>/dev/null) || continue
            f=${f%/route_localnet}
            f=${f##*/}
            [ "$v" = 0 ] || [ "$f" = "$wbr" ] || echo "route_localnet $f"
        done ;;
    esac
    true
}

# On a failed test (podman's basic_teardown), what the test and rb left
# behind before teardown cleaned up, and what survived the cleanup: the
# failure's log names its leaks.
rb_leak_report() {
    [ -z "${BATS_TEST_COMPLETED:-}" ] || return 0
    local l
    l=$(rb_leftovers)
    [ -n "$l" ] || return 0
    echo "# [teardown] $1:"
    sed 's/^/#   /' <<<"$l"
}

# np_write FILE [NAME=VALUE | -NAME]...: the test file's base nameplate
# (its NP_BASE array of NAME=VALUE) written to FILE, with NAME set to VALUE
# (appended when the base has no such line: rb refuses an unknown name, so
# a misspelt one fails the test) or its line dropped. @NET@, @MON@ and
# @TMP@ in a value become $NP_NET, $NP_MON and $NP_TMP (010's free /24,
# moniker and fixtures). Fast on a 2 MB value (010's CIDR row): each name
# is cut once, and -NAME is looked for in the names only (${o#-} on such a
# value takes bash minutes).
np_write() {
    local file=$1 kv name val o i found
    shift
    local names=()
    for o in "$@"; do names+=("${o%%=*}"); done
    : >"$file" || return 1
    for kv in "${NP_BASE[@]}"; do
        name=${kv%%=*} val=${kv#*=}
        for i in "${!names[@]}"; do
            [ "${names[i]}" = "-$name" ] && continue 2
            if [ "${names[i]}" = "$name" ]; then val=${*:i+1:1} val=${val#*=}; fi
        done
        np_subst "$val"
        printf '%s = %s\n' "$name" "$NP_S" >>"$file"
    done
    for i in "${!names[@]}"; do
        case ${names[i]} in -*) continue ;; esac
        found=
        for kv in "${NP_BASE[@]}"; do [ "${kv%%=*}" = "${names[i]}" ] && found=1; done
        [ -z "$found" ] || continue
        o=${@:i+1:1}
        np_subst "${o#*=}"
        printf '%s = %s\n' "${names[i]}" "$NP_S" >>"$file"
    done
}

# np_subst VALUE: VALUE with np_write's placeholders filled in, in NP_S
# (not printed: a subshell per value made 010's 150-row test slow).
np_subst() {
    NP_S=$1
    case $NP_S in *@*) ;; *) return 0 ;; esac
    NP_S=${NP_S//@NET@/${NP_NET:-}}
    NP_S=${NP_S//@MON@/${NP_MON:-}}
    NP_S=${NP_S//@TMP@/${NP_TMP:-}}
}

# rb_sentryd NS NAMEPLATE [rb-sentryd options]: the sentry's runtime as the
# sentry container runs it (rb-sentryd: dnsmasq without any capability, the
# learner on NFQUEUE, the denial log on NFLOG) in netns NS, with the
# configurations rb-fw-apply prints for NAMEPLATE. They live in a directory
# the unprivileged children can read ($SD); the denial log is
# $SD/log/denials/denials.jsonl, rb-sentryd's and dnsmasq's stderr $SD/sentryd.log.
# SD_DNSMASQ_CONF=FILE runs dnsmasq with FILE instead.
# Sets SD and SD_PID (rb-sentryd's, in the host's PID namespace).
rb_sentryd() {
    local ns=$1 np=$2
    shift 2
    SD=$(mktemp -d /tmp/rbt-sd.XXXXXX) || return 1
    echo "$SD" >>"$BATS_TEST_TMPDIR/.dirs"
    chmod 0755 "$SD"
    mkdir -m 1777 "$SD/log"
    if [ -n "${SD_DNSMASQ_CONF:-}" ]; then
        cp "$SD_DNSMASQ_CONF" "$SD/dnsmasq.conf"
    else
        "$RB_BIN/rb-fw-apply" --nameplate "$np" --resolver-conf >"$SD/dnsmasq.conf" || return 1
    fi
    "$RB_BIN/rb-fw-apply" --nameplate "$np" --learner-conf >"$SD/learner.conf" || return 1
    chmod 0644 "$SD/dnsmasq.conf" "$SD/learner.conf"
    ip netns exec "$ns" sysctl -qw net.ipv4.ip_unprivileged_port_start=53
    # with the capabilities the sentry container has (mk/bottle.sh), no
    # more: what the learner does as root must work without CAP_NET_RAW
    ip netns exec "$ns" setpriv --bounding-set -all,+net_admin,+setuid,+setgid,+setpcap \
        "$RB_BIN/rb-sentryd" --learner-conf "$SD/learner.conf" \
        --dnsmasq-conf "$SD/dnsmasq.conf" --dnsmasq-user dnsmasq --learner-user 65533 \
        --log-user 65532 --log-dir "$SD/log" "$@" </dev/null >/dev/null 2>"$SD/sentryd.log" 3>&- &
    SD_PID=$!
    wait_listen "$ns" 53
}

# The PID of rb-sentryd's child named COMM (rb-learner, rb-denials, dnsmasq).
rb_sentryd_child() {
    local c
    for c in $(cat "/proc/$1/task/$1/children" 2>/dev/null); do
        [ "$(cat "/proc/$c/comm" 2>/dev/null)" = "$2" ] && { echo "$c"; return 0; }
    done
    return 1
}

# The netns stand-ins for a bottle ($B, 10.242.0.3 on b0), its sentry ($S,
# 10.242.0.2 on en0, 198.51.100.2 on up0) and the world ($W, 198.51.100.1 on
# w0): what rb-fw-apply --netns and the resolver tests run against.
rb_topology_bsw() {
    B=$(rb_netns_new) && S=$(rb_netns_new) && W=$(rb_netns_new) || fail "cannot create netns"
    ip link add b0 netns "$B" type veth peer name en0 netns "$S"
    ip link add up0 netns "$S" type veth peer name w0 netns "$W"
    ip -n "$B" addr add 10.242.0.3/24 dev b0
    ip -n "$B" link set b0 up
    ip -n "$B" route add default via 10.242.0.2
    ip -n "$S" addr add 10.242.0.2/24 dev en0
    ip -n "$S" addr add 198.51.100.2/24 dev up0
    ip -n "$S" link set en0 up
    ip -n "$S" link set up0 up
    ip -n "$S" route add default via 198.51.100.1
    ip -n "$W" addr add 198.51.100.1/24 dev w0
    ip -n "$W" link set w0 up
}

# wait_listen NS PORT: waits up to 5 s for a TCP listener on PORT in NS.
wait_listen() {
    local i
    for i in $(seq 50); do
        ip netns exec "$1" ss -Hltn "sport = :$2" | grep -q LISTEN && return 0
        sleep 0.1
    done
    fail "nothing listens on $1:$2"
}

# Escape attempts run in a bottle print "LABEL STATUS [MESSAGE]" lines
# (test/060, test/065). Every such line of $output failed as an attempt (a
# status of 125-127 means the command could not run: a broken test, not a
# blocked packet), there were exactly $1 of them and, with $2, each message
# matches the extended regex $2 (the reason it failed).
assert_all_failed() {
    local want=$1 why=${2:-} label rc msg n=0 bad=0
    while read -r label rc msg; do
        [ -n "$label" ] || continue
        n=$((n + 1))
        case $rc in
        0) echo "ESCAPED: $label succeeded"; bad=1 ;;
        125 | 126 | 127) echo "BROKEN: $label could not run (exit $rc): $msg"; bad=1 ;;
        esac
        if [ -n "$why" ] && ! grep -qE -- "$why" <<<"$msg"; then
            echo "WRONG REASON: $label failed with \"$msg\" (exit $rc)"
            bad=1
        fi
    done <<<"$output"
    [ "$n" -eq "$want" ] || { echo "expected $want attempts, got $n:"; echo "$output"; bad=1; }
    [ $bad -eq 0 ]
}
