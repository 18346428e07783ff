#!/usr/bin/env bats
# The policy of every example nameplate, pinned line by line per backend
# (netavark's test/100-bridge-iptables.bats style): test/golden/<np>.<backend>
# is what `rb-fw-apply --dry-run` prints for it, written once and read by
# a person; any policy change shows up here as a diff to review, and the
# golden file is updated in the same commit. Printed inside a netns with
# only loopback, so the host's addresses (RB-HOST) are the same everywhere,
# and with named interfaces, so no sentry is needed.

bats_require_minimum_version 1.5.0
load helpers

setup() { NS=$(rb_netns_new); }
teardown() { rb_default_teardown; }

golden() {
    local np=$1 b=$2 f=$RB_TOP/nameplates/$1.mk
    [ -e "$f" ] || f=$RB_TOP/test/data/$np.mk
    rb_run ip netns exec "$NS" env -u RB_FW_BACKEND "$RB_BIN/rb-fw-apply" --nameplate "$f" \
        --backend "$b" --dry-run --enclave-if en0 --uplink-if up0 --no-host
    diff -u "$RB_TOP/test/golden/$np.$b" <(printf '%s\n' "$output") ||
        fail "the $b policy of ${f#"$RB_TOP"/} is not test/golden/$np.$b"
}

@test "golden: nsproto, xtables" { golden nsproto xtables; }
@test "golden: nsproto, nft" { golden nsproto nft; }
@test "golden: offline, xtables" { golden offline xtables; }
@test "golden: offline, nft" { golden offline nft; }
@test "golden: open, xtables" { golden open xtables; }
@test "golden: open, nft" { golden open nft; }
@test "golden: agent, xtables" { golden agent xtables; }
@test "golden: agent, nft" { golden agent nft; }
# ported entries of every form (test/data/ports.mk)
@test "golden: ports, xtables" { golden ports xtables; }
@test "golden: ports, nft" { golden ports nft; }

@test "golden: every nft golden ruleset is one nft -c -f takes" {
    local f
    for f in "$RB_TOP"/test/golden/*.nft; do
        rb_run ip netns exec "$NS" nft -c -f "$f"
    done
}
