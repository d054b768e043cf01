#!/bin/bash
# Gateway mode: an allowance for one phone counts only that phone's traffic.
# With `devices = phone1`, phone 2 streaming from the list's learned address
# minute after minute uses nothing; phone 1 streaming uses up the 2 minutes,
# and the break that follows cuts phone 1 and not phone 2. The kernel's side,
# read back with `nft -j`: phone 1's packets to the list's sets (by its MAC)
# label their connections in the usage chain, and the allowance's log rule
# counts only labelled connections. On the fake clock of allowance_lib.sh;
# some 25 s.
. "$(dirname "$0")/gateway_lib.sh"
. "$(dirname "$0")/allowance_lib.sh"
trap '[ -n "$ALLOW_WEB" ] && kill "$ALLOW_WEB"; down; cleanup' EXIT
up_net || { fail "the test network"; finish; exit 1; }
allowance_web
conf "[allowance kids]
lists = social
per_day = 2m
devices = phone1"
start_daemon
up_lan
# get P FILE SECONDS: HTTP from the listed address on phone P (in1 or in2).
get() { "$1" curl -s -o /dev/null -m "$3" --limit-rate 300k -w '%{http_code}' "http://$UP_LISTED_A:8081/$2"; }

for p in "$P1" "$P2"; do
	eq "$p resolves via the router (and the address is learned)" \
		"$(dg "$p" +short @"$R4" "$UP_LISTED" A)" "$UP_LISTED_A"
done
L=$(labels | python3 -c 'import json, sys; print(dict(json.load(sys.stdin))["kids"])')
eq "phone 1's packets to the list's sets label their connections, by its MAC" \
	"$(nftj 'sorted([[e["match"]["right"] for e in r["expr"] if "match" in e and isinstance(e["match"]["right"], str)] + [r["expr"][-1]["mangle"]["value"]] for r in rules("usage") if "mangle" in r["expr"][-1]])')" \
	"[[\"$MAC1\", \"@learned4_social\", $L], [\"$MAC1\", \"@learned6_social\", $L]]"
eq "no output chain: the allowance names no user" \
	"$(nftj '[o["chain"]["name"] for o in j if "chain" in o and o["chain"]["name"] == "usage_output"]')" '[]'
eq "the allowance's log rule counts labelled connections only" \
	"$(nftj '[r["expr"][0]["match"] for r in rules("usage_0")]')" \
	"[{\"op\": \"in\", \"left\": {\"ct\": {\"key\": \"label\"}}, \"right\": $L}]"

# Phone 2 streams for three minutes of the daemon's clock: nothing counts.
counts_nothing kids "phone 2's stream" get in2 big 3

# Phone 1's: a minute, then the second and last.
uses_up kids "phone 1's stream" get in1 big 3
code=$(get in1 small 2)
rc=$?
check "the break cuts phone 1 (curl rc $rc, http $code)" test "$rc" -eq 7
eq "and not phone 2" "$(get in2 small 2)" 200
contains "status: the break is for phone 1 only" "$(smctl status)" "social, for device phone1"
finish
