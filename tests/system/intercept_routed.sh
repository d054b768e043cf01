#!/bin/bash
# A container the machine routes and masquerades (as docker does) is held to
# the break like the machine itself: its port-53 queries to any resolver, UDP
# and TCP, IPv4 and IPv6, are answered by smbreakd (NXDOMAIN with EDE 15
# during a break), and its connections to a learned address of a listed name
# are cut with a TCP reset; after the break both work again. `nft -j` shows
# the prerouting redirect, the forward hook, and the input guard that keeps
# port 153 closed to queries that were not redirected there.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns_upstream.sh"
. "$(dirname "$0")/hostlab.sh"
lab_setup

dc() { in_ct dig +time=3 +tries=1 "$@"; }
web4="http://$UP_LISTED_A:8080/"
web6="http://[$UP_LISTED_AAAA]:8080/"

hooks=$(nftj 'sorted((o["chain"]["type"], o["chain"]["hook"]) for o in j if "chain" in o and "hook" in o["chain"])')
contains "a nat chain on prerouting" "$hooks" '["nat", "prerouting"]'
contains "a filter chain on forward" "$hooks" '["filter", "forward"]'
contains "a filter chain on input (the guard)" "$hooks" '["filter", "input"]'

# Outside a break the container resolves through the filter, which learns
# the listed name's addresses, and connects.
eq "the container resolves over IPv4" "$(dc +short @"$LAB_UP4" "$UP_LISTED" A)" "$UP_LISTED_A"
eq "and over IPv6" "$(dc +short @"$LAB_UP6" "$UP_LISTED" AAAA)" "$UP_LISTED_AAAA"
sleep 0.3
check "the container's answer was learned (through the filter)" \
	test "$(js 'j["counters"]["learned"]' status)" -ge 2
check "HTTP from the container outside a break" in_ct curl -s -o /dev/null -m 3 "$web4"
check "HTTP over IPv6 too" in_ct curl -s -o /dev/null -m 3 "$web6"

expect_rc 0 "pause" smctl pause 10m
for q in "@$LAB_UP4" "@$LAB_UP4 +tcp" "@$LAB_UP6" "@$LAB_UP6 +tcp"; do
	# shellcheck disable=SC2086
	OUT=$(dc $q "$UP_LISTED" A)
	expect_in "status: NXDOMAIN" "from the container, $q during a break: NXDOMAIN"
	expect_in "EDE: 15 (Blocked)" "from the container, $q: EDE 15"
done
expect_rc 7 "HTTP from the container to the learned IPv4 address is reset" \
	in_ct curl -s -o /dev/null -m 3 "$web4"
expect_rc 7 "and to the learned IPv6 address" in_ct curl -s -o /dev/null -m 3 "$web6"
# Port 153 of the machine takes only what the redirect sends there.
OUT=$(dc -p 153 @"$LAB_HOST_CT4" "$UP_BOTH" A)
expect_in "timed out" "a query straight to port 153 from the container is dropped"

expect_rc 0 "resume" smctl resume
eq "after the break the container resolves again" \
	"$(dc +short @"$LAB_UP4" "$UP_LISTED" A)" "$UP_LISTED_A"
eq "over IPv6 and TCP too" "$(dc +short +tcp @"$LAB_UP6" "$UP_LISTED" AAAA)" "$UP_LISTED_AAAA"
check "and connects again" in_ct curl -s -o /dev/null -m 3 "$web4"
kill9_daemon
finish
