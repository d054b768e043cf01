#!/bin/bash
# CNAME cloaking: during a break, a name in no list whose answer's CNAME chain
# reaches a listed name is answered as the listed name would be (NXDOMAIN or
# the configured answer, EDE 15), however many unlisted names the chain goes
# through; outside a break, or when the question name is allowed, it is
# relayed. The chain's addresses are learned for the listed name. dnsmasq is
# the upstream, dig the client, nft -j the reader of the learned sets.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns_upstream.sh"
export TZ=UTC
upstream_test

cat >"$CONF" <<CONF
[daemon]
listen = $FWD:53
upstream = $UP4
blocked_answer = nxdomain
blocked_ttl = 10s

[list social]
domains = $UP_LISTED
CONF
start_daemon
d() { ip netns exec "$NS" dig +time=3 +tries=1 @$FWD "$@"; }

eq "outside a break a cloaked name is relayed" "$(d +short "$UP_CLOAK" A | tail -1)" "$UP_LISTED_A"
expect_rc 0 "pause" smctl pause 10m
OUT=$(d "$UP_CLOAK" A)
expect_in "status: NXDOMAIN" "a name whose CNAME is listed is blocked during a break"
expect_in "EDE: 15 (Blocked)" "with EDE 15"
case $OUT in *"$UP_LISTED_A"*) fail "the listed name's address came through: $OUT" ;; *) ok ;; esac
OUT=$(d "$UP_CLOAK2" AAAA)
expect_in "status: NXDOMAIN" "a chain through an unlisted name to a listed subdomain too"
expect_in "EDE: 15 (Blocked)" "with EDE 15"
OUT=$(d "$UP_CLOAK" HTTPS)
expect_in "status: NOERROR" "HTTPS of a cloaked name: no data, as for the listed name"
expect_in "ANSWER: 0" "no records"
OUT=$(d +tcp "$UP_CLOAK" A)
expect_in "status: NXDOMAIN" "over TCP as well"
OUT=$(d "$UP_BOTH" A)
expect_in "status: NOERROR" "a name in no list and no listed chain is relayed"
sleep 0.3
elems4=$(nftj '" ".join(sorted(str(e["elem"]["val"]) if isinstance(e, dict) else str(e) for o in j if "set" in o and o["set"]["name"].startswith("learned4") for e in o["set"].get("elem", [])))')
contains "the listed name's address reached through the cloak is learned" "$elems4" "$UP_LISTED_A"
check "the blocked cloak counts in status" test "$(js 'j["counters"]["blocked"]' status)" -ge 4
expect_rc 0 "smctl check of the cloaked name says it is blocked now" smctl check "$UP_CLOAK"
expect_in "CNAME chain" "and names the chain"
expect_in "$UP_CLOAK ->" "from the name it was asked for"
[ "$(js '[m["kind"] for m in j["matches"]]' check "$UP_CLOAK")" = '["cname"]' ] && ok ||
	fail "check --json lists the chain as a cname match"
expect_rc 0 "resume" smctl resume
OUT=$(d "$UP_CLOAK" A)
expect_in "status: NOERROR" "after the break it is relayed again"
stop_daemon || fail "clean stop"
finish
