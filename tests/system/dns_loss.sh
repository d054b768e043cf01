#!/bin/bash
# A lossy path to the upstream (issue 13 item 2): with every 4th datagram to
# dnsmasq dropped by an nftables numgen rule in the test's namespace, every
# query still gets its answer, within a second, from a retransmission on the
# upstream's short adaptive timer; SERVFAIL comes only when no upstream
# answers at all, and a second upstream takes over from a silent first.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns_upstream.sh"
export TZ=UTC
upstream_test
SILENT=192.0.2.99 # on lo, nothing listens: dropped by the rule below
ip -n "$NS" addr add $SILENT/32 dev lo

cat >"$CONF" <<CONF
[daemon]
listen = $FWD:53
upstream = $UP4
intercept = no
cache = 0 ; every query goes to the lossy path
CONF
start_daemon
d() { ip netns exec "$NS" dig +time=3 +tries=1 @$FWD "$@"; }

ip netns exec "$NS" nft -f - <<NFT
table inet loss {
	chain out {
		type filter hook input priority 0; # silent, as loss on the wire
		ip daddr $UP4 udp dport 53 numgen inc mod 4 == 0 counter drop
		ip daddr $SILENT udp dport 53 drop
	}
}
NFT

servfail=0
start=$(date +%s%N)
for i in $(seq 1 16); do
	OUT=$(d "$UP_BOTH" A)
	case $OUT in *"status: NOERROR"*) ;; *) servfail=$((servfail + 1)) ;; esac
done
ms=$((($(date +%s%N) - start) / 1000000))
eq "16 queries over a path losing 1 datagram in 4: no SERVFAIL" "$servfail" 0
check "and no query waited a client's timeout ($ms ms for 16)" test "$ms" -lt 8000
dropped=$(ip netns exec "$NS" nft -j list table inet loss | /usr/bin/python3 -c '
import json, sys
for o in json.load(sys.stdin)["nftables"]:
    for e in o.get("rule", {}).get("expr", []):
        if "counter" in e: print(e["counter"]["packets"])')
check "datagrams were dropped ($dropped)" test "$dropped" -ge 4

# A silent first upstream: the second answers, well before the old 1.5 s.
cat >"$CONF" <<CONF
[daemon]
listen = $FWD:53
upstream = $SILENT $UP4
intercept = no
cache = 0 ; every query goes to the lossy path
CONF
expect_rc 0 "reload" smctl reload
start=$(date +%s%N)
OUT=$(d "$UP_BOTH" A)
ms=$((($(date +%s%N) - start) / 1000000))
expect_in "status: NOERROR" "a silent first upstream: the second answers"
check "within a second ($ms ms)" test "$ms" -lt 1000

# Nothing answers: SERVFAIL with EDE 22 once every upstream had its tries.
cat >"$CONF" <<CONF
[daemon]
listen = $FWD:53
upstream = $SILENT
intercept = no
cache = 0 ; every query goes to the lossy path
CONF
expect_rc 0 "reload" smctl reload
OUT=$(d "$UP_BOTH" A)
expect_in "status: SERVFAIL" "no upstream answers: SERVFAIL"
expect_in "EDE: 22" "with EDE 22"

stop_daemon || fail "clean stop"
finish
