#!/usr/bin/env bats
# What the learner makes of hostile replies (rb-sentryd --parse runs the
# learner's own decision, rb_learn_decide, on one DNS message): lying
# counts and lengths, compression loops, 0-length labels, truncated
# records, CNAME chains, rebinding answers. Nothing here touches the
# system; the same code runs under fuzz/learn.c.

load helpers

setup() {
    CONF=$BATS_TEST_TMPDIR/learner.conf
    printf 'learn 1\ndns-global 0\nallow anthropic.com\nallow example.com\n' >"$CONF"
}

# msg NAME PYTHON-EXPR: writes the bytes of a DNS message built by the
# helpers below into $BATS_TEST_TMPDIR/NAME
msg() {
    python3 - "$BATS_TEST_TMPDIR/$1" "$2" <<'PY'
import struct, sys
def name(n):
    return b"".join(bytes([len(l)]) + l.encode() for l in n.split(".") if l) + b"\0"
def hdr(an, rcode=0, qd=1, flags=0x8180):
    return struct.pack(">HHHHHH", 0x1234, flags | rcode, qd, an, 0, 0)
def q(n, t=1):
    return name(n) + struct.pack(">HH", t, 1)
def rr(owner, t, ttl, rdata):
    return owner + struct.pack(">HHIH", t, 1, ttl, len(rdata)) + rdata
def a(ip):
    return bytes(int(x) for x in ip.split("."))
P = b"\xc0\x0c"  # pointer to the question's name
open(sys.argv[1], "wb").write(eval(sys.argv[2]))
PY
}

decide() { rb_run '?' "$RB_BIN/rb-sentryd" --parse "$BATS_TEST_TMPDIR/$1" --learner-conf "$CONF" "${@:2}"; }

@test "an allowed name's A records are learned for their TTL and a margin, clamped" {
    msg ok 'hdr(5) + q("api.anthropic.com") + rr(P, 1, 5, a("160.79.104.10")) + rr(P, 1, 100000, a("160.79.104.11")) + rr(P, 1, 300, a("160.79.104.12")) + rr(P, 1, 2147483647, a("160.79.104.13")) + rr(P, 1, 4294967295, a("160.79.104.14"))'
    decide ok --ttl-min 30 --ttl-max 600
    assert_success
    assert_line "verdict pass"
    assert_line "allowed 1"
    assert_line "add 160.79.104.10 timeout 30"
    assert_line "add 160.79.104.11 timeout 600"
    # the entry outlives the answer by 2 s (lib/learn.h RB_LEARN_TTL_MARGIN)
    assert_line "add 160.79.104.12 timeout 302"
    # the largest TTL plus the margin does not wrap around
    assert_line "add 160.79.104.13 timeout 600"
    # a TTL with its top bit set counts as 0 (RFC 2181)
    assert_line "add 160.79.104.14 timeout 30"
    # a longer margin (a slow machine's: check-vm's guest under TCG)
    decide ok --ttl-min 30 --ttl-max 600 --ttl-margin 9
    assert_line "add 160.79.104.12 timeout 309"
    assert_line "add 160.79.104.10 timeout 30"
}

@test "a CNAME chain is followed from the question; records off the chain give nothing" {
    msg chain 'hdr(4) + q("www.example.com") + rr(P, 5, 50, name("cdn.other.net")) + rr(name("cdn.other.net"), 5, 900, name("edge.other.net")) + rr(name("edge.other.net"), 1, 600, a("93.184.216.34")) + rr(name("evil.other.net"), 1, 600, a("93.184.216.99"))'
    decide chain
    assert_line "cnames 2"
    # the chain's smallest TTL (50) bounds the address, then the floor (60)
    assert_line "add 93.184.216.34 timeout 60"
    refute_output --partial 93.184.216.99
}

@test "a name not allowed opens nothing and is reported refused" {
    msg nx 'hdr(0, rcode=3) + q("google.com")'
    decide nx
    assert_line "verdict pass"
    assert_line "allowed 0"
    assert_line "refused 1"
    msg lie 'hdr(1) + q("anthropic.com.evil.net") + rr(P, 1, 60, a("1.2.3.4"))'
    decide lie
    assert_line "allowed 0"
    refute_output --partial "add "
}

@test "rebinding: private, loopback, link-local, reserved and multicast answers are never learned" {
    msg rb 'hdr(12) + q("x.anthropic.com") + b"".join(rr(P, 1, 60, a(ip)) for ip in ["10.0.0.1", "127.0.0.1", "169.254.169.254", "172.16.0.1", "192.168.1.1", "100.64.0.1", "198.18.0.1", "198.19.255.254", "224.0.0.1", "240.0.0.1", "0.1.2.3", "0.0.0.0"])'
    decide rb
    assert_line "verdict pass"
    assert_line "never 12"
    refute_output --partial "add "
}

@test "hostile replies are dropped whole: lying counts and lengths, loops, bad labels, truncation" {
    local m
    msg count 'hdr(5) + q("api.anthropic.com") + rr(P, 1, 60, a("160.79.104.10"))'
    msg rdlen 'hdr(1) + q("api.anthropic.com") + P + struct.pack(">HHIH", 1, 1, 60, 40) + a("160.79.104.10")'
    msg alen 'hdr(1) + q("api.anthropic.com") + rr(P, 1, 60, a("160.79.104.10") + b"\0\0")'
    msg loop 'hdr(1) + q("api.anthropic.com") + b"\xc0\x2f" + struct.pack(">HHIH", 1, 1, 60, 4) + a("160.79.104.10")'
    msg selfptr 'hdr(1) + b"\xc0\x0c" + struct.pack(">HH", 1, 1)'
    msg trunc 'hdr(1) + q("api.anthropic.com") + rr(P, 1, 60, a("160.79.104.10"))[:-2]'
    msg cnamelen 'hdr(2) + q("api.anthropic.com") + rr(P, 5, 60, name("a.anthropic.com") + b"junk") + rr(name("a.anthropic.com"), 1, 60, a("160.79.104.10"))'
    msg longname 'hdr(0) + b"\x3f" + b"a" * 63 + b"\x3f" + b"a" * 63 + b"\x3f" + b"a" * 63 + b"\x3f" + b"a" * 63 + b"\0" + struct.pack(">HH", 1, 1)'
    msg qdtwo 'hdr(0, qd=2) + q("api.anthropic.com") + q("example.com")'
    msg query 'hdr(0, flags=0x0100) + q("api.anthropic.com")'
    msg short 'b"\x12\x34\x81"'
    msg ext 'hdr(0) + b"\x41abc\0" + struct.pack(">HH", 1, 1)'
    for m in count rdlen alen loop selfptr trunc cnamelen longname qdtwo query short ext; do
        decide $m
        assert_success
        [ "${lines[0]}" != "verdict pass" ] || fail "$m passed: $output"
        assert_line --regexp '^verdict drop '
        refute_output --partial "add "
    done
}

@test "a 0-length label in the middle ends the name; what follows must still parse" {
    # "api\0" then garbage where the type would be: the question is "api"
    msg zero 'hdr(0) + b"\x03api\x00\x0banthropic\x03com\x00" + struct.pack(">HH", 1, 1)'
    decide zero
    if [ "${lines[0]}" = "verdict pass" ]; then
        assert_line --regexp '^question api type '
        assert_line "allowed 0"
    fi
    refute_output --partial "add "
}

@test "more CNAMEs than the learner follows is refused" {
    msg many 'hdr(20) + q("c0.example.com") + b"".join(rr(name("c%d.example.com" % i), 5, 60, name("c%d.example.com" % (i + 1))) for i in range(20))'
    decide many
    assert_line --regexp '^verdict drop '
}

@test "rb-sentryd refuses a bad configuration" {
    printf 'learn 1\nallow anthropic.com/#/\n' >"$CONF"
    rb_run 1 "$RB_BIN/rb-sentryd" --parse /dev/null --learner-conf "$CONF"
    printf 'allow anthropic.com\n' >"$CONF"
    rb_run 1 "$RB_BIN/rb-sentryd" --parse /dev/null --learner-conf "$CONF"
    printf 'learn 1\nipset RB-DNS\n' >"$CONF"
    rb_run 1 "$RB_BIN/rb-sentryd" --parse /dev/null --learner-conf "$CONF"
    rb_run 1 "$RB_BIN/rb-sentryd" --ttl-min 10 --ttl-max 5 --parse /dev/null
    # a maximum no larger than the margin would leave dnsmasq no TTL to give
    rb_run --separate-stderr 1 "$RB_BIN/rb-sentryd" --ttl-min 1 --ttl-max 2 --parse /dev/null
    [[ $stderr == 'Error: argument "--ttl-max" is wrong: 2 is not above --ttl-margin 2'* ]] || fail "$stderr"
    rb_run --separate-stderr 1 "$RB_BIN/rb-sentryd" --ttl-min 1 --ttl-max 20 --ttl-margin 20 --parse /dev/null
    [[ $stderr == 'Error: argument "--ttl-max" is wrong: 20 is not above --ttl-margin 20'* ]] || fail "$stderr"
    # the margin can grow, never shrink below the default
    rb_run --separate-stderr 1 "$RB_BIN/rb-sentryd" --ttl-margin 1 --parse /dev/null
    [[ $stderr == 'Error: argument "1" is wrong: --ttl-margin is not a number from 2 to '* ]] || fail "$stderr"
}

@test "a ported name's answers open its ports only; a parent without ports opens them all" {
    local np=$BATS_TEST_TMPDIR/np.mk
    sed -e 's/^RBRN_UPLINK_ALLOWED_DOMAINS .*/RBRN_UPLINK_ALLOWED_DOMAINS = github.com:22,443 github.com:5000\/udp api.github.com:8443 anthropic.com/' \
        "$RB_TOP/nameplates/nsproto.mk" >"$np"
    rb_run "$RB_BIN/rb-fw-apply" --nameplate "$np" --learner-conf
    assert_line "allow anthropic.com"
    assert_line "allow-ports github.com 22,443"
    assert_line "allow-ports github.com 5000/udp"
    assert_line "allow-ports api.github.com 8443"
    printf '%s\n' "$output" >"$CONF"
    msg gh 'hdr(1) + q("github.com") + rr(P, 1, 300, a("203.0.113.20"))'
    decide gh
    assert_line "allowed 1"
    assert_line "add 203.0.113.20 ports 22,443 timeout 302"
    assert_line "add 203.0.113.20 ports 5000/udp timeout 302"
    # never into the all-ports answers set
    refute_line "add 203.0.113.20 timeout 302"
    # a subdomain gets the union of every entry that names it or a parent
    msg api 'hdr(1) + q("api.github.com") + rr(P, 1, 300, a("203.0.113.21"))'
    decide api
    assert_line "add 203.0.113.21 ports 8443 timeout 302"
    assert_line "add 203.0.113.21 ports 22,443 timeout 302"
    refute_line "add 203.0.113.21 timeout 302"
    msg an 'hdr(1) + q("api.anthropic.com") + rr(P, 1, 300, a("160.79.104.10"))'
    decide an
    assert_line "add 160.79.104.10 timeout 302"
    refute_output --partial " ports "
    # a ported name is still refused for a name beside it
    msg other 'hdr(0, rcode=3) + q("notgithub.com")'
    decide other
    assert_line "allowed 0"
    assert_line "refused 1"
}

@test "rb-sentryd refuses a bad allow-ports line" {
    local bad
    for bad in "allow-ports github.com" "allow-ports github.com 0" "allow-ports github.com 22/icmp" \
        "allow-ports git_hub.com 22" "allow-ports github.com 53"; do
        printf 'learn 1\n%s\n' "$bad" >"$CONF"
        rb_run --separate-stderr 1 "$RB_BIN/rb-sentryd" --parse /dev/null --learner-conf "$CONF"
        [[ $stderr == *allow-ports* ]] || fail "$bad: $stderr"
    done
}
