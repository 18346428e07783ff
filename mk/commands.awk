# Used by mk/commands.sh: prints "FILE:LINE WORD" for every word of a shell
# file (bash, bats, or make recipes) that stands where a command is run.
function flush(   n, t, i, w, j) {
	n = split(seg, t, /[ \t]+/)
	i = 1
	while (i <= n) {
		w = t[i]; gsub(/["']/, "", w)
		if (w == "" || w ~ /^[@!-]+$/ || w ~ /^[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?\+?=/) { i++; continue }
		sub(/^[@-]+/, "", w)
		if (w ~ /^(then|do|else|elif|if|while|until|exec|time|command|sudo|!|\{|\}|in)$/) { i++; continue }
		if (w == "run") { i++; while (i <= n && t[i] ~ /^(-|!)/) i++; continue }
		if (w == "timeout") {
			print F ":" segline " " w; i++
			while (i <= n && t[i] ~ /^-/) { if (t[i] ~ /^-[sk]$/) i++; i++ }
			i++; continue
		}
		if (w == "env" || w == "xargs" || w == "nsenter" || w == "setpriv" || w == "unshare" || w == "setsid" || w == "flock") {
			print F ":" segline " " w; i++
			while (i <= n && (t[i] ~ /^-/ || (w == "env" && t[i] ~ /=/))) {
				if (t[i] ~ argopt[w]) i++
				i++
			}
			if (w == "flock" && i <= n && t[i] !~ /^-/) i++   # the lock file
			continue
		}
		if (w == "ip" && t[i+1] == "netns" && t[i+2] == "exec") { print F ":" segline " ip"; i += 4; continue }
		if (w ~ /^[a-z][a-z0-9_.+-]*$/) print F ":" segline " " w
		break
	}
	seg = ""; segline = NR
}
BEGIN {
	# options of the wrappers that take the next word as their value
	argopt["env"] = "^-[uSC]$"; argopt["xargs"] = "^-[IndsPLE]$"
	argopt["nsenter"] = "^(-t|--target)$"; argopt["flock"] = "^-[wE]$"
	argopt["setpriv"] = "^$"; argopt["unshare"] = "^$"; argopt["setsid"] = "^$"
	q = 0; depth = 0; heredoc = ""; segline = 1 }
heredoc != "" {
	if ($0 ~ "^[ \t]*" heredoc "[ \t]*$") heredoc = ""
	next
}
{
	line = $0
	if (q == 0 && match(line, /<<-?[ \t]*["']?[A-Za-z_]+/)) {
		hd = substr(line, RSTART, RLENGTH); sub(/^<<-?[ \t]*["']?/, "", hd)
	} else hd = ""
	if (seg == "") segline = NR
	L = length(line)
	for (k = 1; k <= L; k++) {
		c = substr(line, k, 1)
		if (q == 1) { if (c == "'") q = 0; continue }
		if (c == "\\") { k++; seg = seg " "; continue }
		if (q == 2) {
			if (c == "\"") { q = 0; seg = seg "x"; continue }
			if (c == "$" && substr(line, k + 1, 1) == "(" && substr(line, k + 2, 1) != "(") {
				stack[++depth] = 2; k++; flush(); q = 0; continue
			}
			continue
		}
		# outside quotes
		if (c == "#" && (k == 1 || substr(line, k - 1, 1) ~ /[ \t]/)) break
		if (c == "'") { q = 1; seg = seg "x"; continue }
		if (c == "\"") { q = 2; continue }
		if (c == "$" && substr(line, k + 1, 1) == "(") {
			if (substr(line, k + 2, 1) == "(") { k += 2; seg = seg " x"; continue }
			stack[++depth] = 0; k++; flush(); continue
		}
		if (c == "(") { if (depth) stack[++depth] = -1; flush(); continue }
		if (c == ")") {
			flush()
			if (depth) { if (stack[depth] == 2) q = 2; depth-- }
			continue
		}
		if (c == ";" || c == "|" || c == "&" || c == "`") { flush(); continue }
		seg = seg c
	}
	if (q == 0 && substr(line, L, 1) != "\\") flush()
	if (hd != "") heredoc = hd
}
END { flush() }
