#!/bin/bash
# The answers the forwarder makes or relays as RFC 2308 and 6891 expect
# (issue 13 items 9, 6, 7), with dnsmasq as the upstream and dig and
# dnspython as clients: a blocked answer's SOA is owned by the list entry
# that matched; an answer the upstream truncated reaches a UDP client as the
# upstream sent it, and the client's TCP retry gets the whole.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns_upstream.sh"
export TZ=UTC
upstream_test python

cat >"$CONF" <<CONF
[daemon]
listen = $FWD:53
upstream = $UP4
intercept = no
blocked_ttl = 10s

[list social]
domains = $UP_LISTED

[list deep]
domains = $UP_LISTED_SUB
CONF
start_daemon
PROBE="/usr/bin/python3 $(dirname "$0")/dns_probe.py"
probe() { ip netns exec "$NS" $PROBE "$@"; }
d() { ip netns exec "$NS" dig +time=3 +tries=1 @$FWD "$@"; }
# soa_owner NAME TYPE [DIG ARGS]: the owner of the authority SOA.
soa_owner() { d +noall +authority "$@" | awk '$4 == "SOA" { print $1 }'; }

# --- item 9: the SOA is owned by the listed name, not the query name --------
expect_rc 0 "pause social" smctl pause 10m --list social
eq "a subdomain's NXDOMAIN has its SOA at the listed name" \
	"$(soa_owner "a.b.$UP_LISTED" A)" "$UP_LISTED."
eq "over TCP too" "$(soa_owner +tcp "x.$UP_LISTED" AAAA)" "$UP_LISTED."
eq "the listed name itself owns it" "$(soa_owner "$UP_LISTED" A)" "$UP_LISTED."
eq "an HTTPS query's empty answer too" "$(soa_owner "x.$UP_LISTED" HTTPS)" "$UP_LISTED."
eq "a deeper entry of a list not in force does not own it" \
	"$(soa_owner "x.$UP_LISTED_SUB" A)" "$UP_LISTED."
expect_rc 0 "resume" smctl resume
expect_rc 0 "pause both" smctl pause 10m
eq "the deepest entry in force owns it" "$(soa_owner "x.$UP_LISTED_SUB" A)" "$UP_LISTED_SUB."
expect_rc 0 "resume" smctl resume

# --- item 6: a truncated answer is relayed, not fetched over TCP first ------
for size in 65535 1232 512; do
	want=$(probe udp $UP4 "$UP_HUGE" TXT $size)
	got=$(probe udp $FWD "$UP_HUGE" TXT $size)
	case $want in *" tc "*) ok ;; *) fail "the upstream does not truncate: $want" ;; esac
	eq "UDP, $size bytes offered: the upstream's truncated answer, no bigger" \
		"$got" "$want"
done
eq "over TCP the whole answer comes" "$(d +tcp +short "$UP_HUGE" TXT | wc -l)" "$UP_HUGE_COUNT"
OUT=$(d +ignore +noall +comments "$UP_HUGE" TXT)
expect_in "flags: qr aa tc rd ra" "dig sees the upstream's flags, TC among them"
OUT=$(d "$UP_HUGE" TXT)
expect_in "ANSWER: $UP_HUGE_COUNT," "dig retries over TCP itself and gets all of it"
before=$(upstream_queries "$UP_HUGE" TXT)
probe udp $FWD "$UP_HUGE" TXT 65535 >/dev/null
sleep 0.2
eq "one UDP query is one query upstream, no TCP exchange after it" \
	"$(($(upstream_queries "$UP_HUGE" TXT) - before))" 1

stop_daemon || fail "clean stop"
finish
