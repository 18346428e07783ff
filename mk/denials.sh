# shellcheck shell=bash
# The bottle's denial log, read from the host (sourced by mk/bottle.sh after
# load: SENTRY, M, RBRN_* are set). rb-sentryd's denial log writes JSON lines
# into /var/log/rb/denials of the sentry (on a 4 MiB tmpfs: denials.jsonl,
# rotated to denials.jsonl.1); the host reads them through /proc/PID/root. The writer
# is reachable by the bottle's packets, so every line is untrusted here:
# lines that are not JSON objects are skipped, fields are printed escaped.

LOG_DIR_IN_SENTRY=/var/log/rb/denials

sentry_pid() {
	local pid
	pid=$(podman inspect -f '{{.State.Pid}}' "$SENTRY" 2>/dev/null) || die "$M is not started"
	[[ $pid =~ ^[1-9][0-9]*$ ]] || die "$SENTRY is not running"
	echo "$pid"
}

# Every line so far, oldest first; with --follow, then every new one.
denial_lines() {
	local root follow=$1
	root=/proc/$(sentry_pid)/root$LOG_DIR_IN_SENTRY
	if [ "$follow" = 1 ]; then
		tail -n +1 -F "$root/denials.jsonl" 2>/dev/null
	else
		cat "$root/denials.jsonl.1" "$root/denials.jsonl" 2>/dev/null || true
	fi
}

denial_objects() { jq -R --unbuffered -c 'fromjson? | select(type == "object")'; }

# TIME PROTO DESTINATION PORT RULE NAME, one denial a line, each as it
# comes (FOLLOW=1): jq alone formats the table, since awk (mawk) reads a
# pipe in blocks and would hold the newest lines back. Every field is
# escaped as @tsv escapes it (no control character of a hostile line
# reaches the terminal).
denial_table() {
	jq -n -r --unbuffered '
		def cell: [tostring] | @tsv;
		def pad($n): cell | if length < $n then . + " " * ($n - length) else . end;
		def row: "\(.[0] | pad(24)) \(.[1] | pad(5)) \(.[2] | pad(15)) \(.[3] | pad(6)) \(.[4] | pad(20)) \(.[5] | cell)";
		(["TIME", "PROTO", "DESTINATION", "PORT", "RULE", "NAME"] | row),
		(inputs
		 | if has("dropped") then
			"# \(.time // "-" | cell) \(.dropped | cell) lines dropped, \(.overruns // 0 | cell) kernel overruns"
		   else
			[(.time // "-"), (.proto // "-"), (.dst // "-"),
			 (.port // .icmp_type // "-"), (.rule // "-"), (.name // "-")] | row
		   end)'
}

log() {
	local follow=0 json=0 a
	for a in "$@"; do
		case $a in
		--follow | -f) follow=1 ;;
		--json) json=1 ;;
		*) die "bottle-log: unknown option \"$a\" (--follow, --json)" ;;
		esac
	done
	if [ $json = 1 ]; then
		denial_lines $follow | denial_objects
	else
		denial_lines $follow | denial_objects | denial_table
	fi
}

# The nameplate lines that would have allowed what was denied, grouped and
# counted. Never applied: the user edits the nameplate knowingly. A denied
# connection with a name the bottle resolved suggests the name, one without
# suggests its address; refused names suggest the name. Denials an
# allowlist cannot lift (DNS to other resolvers, ICMP, rebinding answers,
# the host) are counted apart.
suggest() {
	local tmp
	tmp=$(denial_lines 0 | denial_objects | jq -r '
		select(has("rule") and (has("dropped") | not))
		| (.name // "" | tostring | test("^[a-z0-9-]+(\\.[a-z0-9-]+)+$")) as $ldh
		| if .rule == "rb:dns-refused" and ($ldh | not) then "none\t(a name no nameplate can hold)\tname refused"
		  elif .rule == "rb:dns-refused" then "domain\t\(.name)\tname refused by the resolver"
		  elif .rule == "rb:reject" and $ldh then "domain\t\(.name)\t\(.proto) \(.dst):\(.port // "-") denied"
		  elif .rule == "rb:reject" then "cidr\t\(.dst)/32\t\(.proto) port \(.port // "-") denied"
		  else "none\t\(.rule)\t\(.proto) \(.dst // .name):\(.port // "-")" end' |
		LC_ALL=C sort | uniq -c | LC_ALL=C sort -k1,1nr -k2)
	echo "# bottle-suggest $M: what the sentry denied, and the nameplate lines that would"
	echo "# have allowed it (never applied; edit $NP_FILE knowingly)"
	if [ -z "$tmp" ]; then
		echo "# nothing was denied"
		return 0
	fi
	printf '%s\n' "$tmp" | awk -F'\t' '{ split($1, a, " "); n = a[1]; kind = a[2]
		printf "#  %6d  %-6s %-32s %s\n", n, kind, $2, $3 }'
	local domains cidrs
	domains=$(printf '%s\n' "$tmp" | awk -F'\t' '$1 ~ / domain$/ { print $2 }' | LC_ALL=C sort -u | tr '\n' ' ')
	cidrs=$(printf '%s\n' "$tmp" | awk -F'\t' '$1 ~ / cidr$/ { print $2 }' | LC_ALL=C sort -u | tr '\n' ' ')
	[ -n "$domains" ] &&
		echo "RBRN_UPLINK_ALLOWED_DOMAINS = ${RBRN_UPLINK_ALLOWED_DOMAINS:+$RBRN_UPLINK_ALLOWED_DOMAINS }${domains% }"
	[ -n "$cidrs" ] &&
		echo "RBRN_UPLINK_ALLOWED_CIDRS = ${RBRN_UPLINK_ALLOWED_CIDRS:+$RBRN_UPLINK_ALLOWED_CIDRS }${cidrs% }"
	printf '%s\n' "$tmp" | grep -q ' none' &&
		echo "# (\"none\": no nameplate line opens these: the policy refuses them in every mode)"
	return 0
}
