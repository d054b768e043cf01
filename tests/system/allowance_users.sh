#!/bin/bash
# An allowance for one user counts only that user's traffic: with
# `users = nobody`, root's downloads from the list's learned address, minute
# after minute, use nothing; nobody's use up the 2 minutes, and the break
# that follows refuses nobody's connection and not root's. The kernel's side,
# read back with `nft -j`: nobody's packets to the list's sets label their
# connections (usage_output, on the output hook), and the allowance's log
# rule counts only labelled connections; those rules come back with a table
# deleted by hand, and go and come back with reloads that take the users
# out and put them in. On the fake clock of allowance_lib.sh; some 25 s.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns_upstream.sh"
. "$(dirname "$0")/hostlab.sh"
. "$(dirname "$0")/allowance_lib.sh"
command -v setpriv >/dev/null || {
	echo "skip: needs setpriv" >&2
	exit 77
}
trap '[ -n "$ALLOW_WEB" ] && kill "$ALLOW_WEB"; lab_down; cleanup' EXIT
lab_up || { fail "the test network"; finish; exit 1; }
allowance_web
allowance_conf "[allowance kids]
lists = social
per_day = 2m
users = nobody"
NOBODY=$(id -u nobody)
# get AS FILE SECONDS: HTTP from the listed address as user AS (root or nobody).
get() {
	local as=(setpriv --reuid "$1" --regid "$1" --clear-groups)
	[ "$1" = root ] && as=()
	in_ns "${as[@]}" curl -s -o /dev/null -m "$3" --limit-rate 300k -w '%{http_code}' \
		"http://$UP_LISTED_A:8081/$2"
}

start_daemon
eq "the listed name resolves (and its address is learned)" \
	"$(in_ns dig +short @127.0.0.153 "$UP_LISTED" A)" "$UP_LISTED_A"
L=$(labels | python3 -c 'import json, sys; print(dict(json.load(sys.stdin))["kids"])')
check "the allowance has a label bit of the top 16 (bit $L)" test "$L" -ge 112 -a "$L" -le 127
eq "nobody's packets to the list's sets label their connections" \
	"$(nftj '[[e.get("match", {}).get("right") if "match" in e else e["mangle"]["value"] for e in r["expr"]] for r in rules("usage_output")]')" \
	"[[$NOBODY, \"@learned4_social\", $L], [$NOBODY, \"@learned6_social\", $L]]"
eq "on the output hook" "$(nftj '[o["chain"]["hook"] for o in j if "chain" in o and o["chain"]["name"] == "usage_output"]')" \
	'["output"]'
eq "the allowance's log rule counts labelled connections only, before its limits" \
	"$(nftj '[[list(e)[0] for e in r["expr"]] for r in rules("usage_0")] + [r["expr"][0]["match"]["right"] for r in rules("usage_0")]')" \
	"[[\"match\", \"limit\", \"limit\", \"log\"], $L]"

# root downloads for three minutes of the daemon's clock: nothing counts.
counts_nothing kids "root's download" get root big 3
contains "status: nothing used" "$(smctl status)" "kids: 0s of 2m used today, 2m left"

# nobody's download: a minute, then the second and last.
uses_up kids "nobody's download" get "$NOBODY" big 3
code=$(get "$NOBODY" small 2)
rc=$?
check "nobody's connection to the learned address is refused (curl rc $rc, http $code)" test "$rc" -eq 7
eq "root's is not" "$(get root small 2)" 200
contains "status: the break is for nobody only" "$(smctl status)" "social, for nobody only"

# The label rules come back with the table when it is deleted by hand, and
# go and come back with reloads that take the users out and put them in.
marks() { nftj 'len(rules("usage_output"))'; }
in_ns nft delete table inet smbreak
for _ in $(seq 1 30); do
	[ "$(marks)" = 2 ] && break
	sleep 0.1
done
eq "the table restored has its label rules" "$(marks)" 2
allowance_conf "[allowance kids]
lists = social
per_day = 2m"
expect_rc 0 "a reload makes the allowance one for everyone" smctl reload
eq "its output chain is gone" \
	"$(nftj '[o["chain"]["name"] for o in j if "chain" in o and o["chain"]["name"] == "usage_output"]')" '[]'
eq "and its log rule counts every connection" \
	"$(nftj '[[list(e)[0] for e in r["expr"]] for r in rules("usage_0")]')" '[["limit", "limit", "log"]]'
allowance_conf "[allowance kids]
lists = social
per_day = 2m
users = nobody"
expect_rc 0 "a reload names nobody again" smctl reload
eq "the label rules are back" "$(marks)" 2

# A label goes with the allowance's name, not its place: reordering two
# allowances for some leaves each its bit (open connections stay counted
# where they were).
two() {
	allowance_conf "[allowance $1]
lists = social
per_day = 2m
users = $3

[allowance $2]
lists = social
per_day = 2m
users = $4"
}
two kids teens nobody root
expect_rc 0 "a reload adds a second allowance for some" smctl reload
before=$(labels)
two teens kids root nobody
expect_rc 0 "a reload swaps them" smctl reload
eq "each keeps its label bit" "$(labels)" "$before"
check "two allowances, two bits" python3 -c 'import json, sys; v = json.loads(sys.argv[1]); sys.exit(len({b for _, b in v}) != 2)' "$before"
finish
