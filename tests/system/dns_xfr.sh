#!/bin/bash
# Zone transfers through the forwarder (issue 13 item 8), with a dnspython
# transfer server (dns_probe.py xfrd) as the upstream and dig as the client:
# an AXFR over TCP is relayed over TCP, every message of the stream; an IXFR
# (NSCOUNT 1, the client's SOA) is relayed over UDP and over TCP.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns_upstream.sh"
export TZ=UTC
upstream_test python
PROBE="/usr/bin/python3 $(dirname "$0")/dns_probe.py"
XFR=192.0.2.54
XLOG=$T/xfrd.log
ip netns exec "$NS" ip addr add $XFR/32 dev lo
ip netns exec "$NS" $PROBE xfrd $XFR "$XLOG" &
XPID=$!
trap 'kill $XPID 2>/dev/null; wait $XPID 2>/dev/null; upstream_stop; cleanup' EXIT
for _ in $(seq 1 100); do grep -q ready "$XLOG" 2>/dev/null && break; sleep 0.05; done

cat >"$CONF" <<CONF
[daemon]
listen = $FWD:53
upstream = $XFR
intercept = no
CONF
start_daemon
d() { ip netns exec "$NS" dig +time=3 +tries=1 @$FWD "$@"; }

OUT=$(d xfr.test AXFR)
eq "an AXFR through the forwarder brings the whole zone (SOA, 30 A, SOA)" \
	"$(grep -c $'\tIN\t' <<<"$OUT")" 32
expect_in "XFR size: 32 records (messages 3" "in the upstream's three messages"
eq "it went upstream over TCP, never over UDP" "$(grep AXFR "$XLOG" | sort | uniq -c | awk '{print $2 $1}')" tcp1
# Serial 5 is the upstream's: the answer is its one SOA (up to date).
soas() { grep -c $'\tIN\tSOA\t' <<<"$OUT"; }
OUT=$(d +notcp xfr.test ixfr=5)
eq "an IXFR over UDP is relayed, not FORMERR: the upstream's one SOA" "$(soas)" 1
OUT=$(d +tcp xfr.test ixfr=5)
eq "an IXFR over TCP too" "$(soas)" 1
eq "both reached the upstream" "$(grep IXFR "$XLOG" | sort | tr '\n' ' ')" "tcp IXFR udp IXFR "

stop_daemon || fail "clean stop"
finish
