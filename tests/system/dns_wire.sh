#!/bin/bash
# The forwarder as the resolvers it sits between expect (issue 13), with
# dnsmasq as the upstream and dig and dnspython (dns_probe.py) as clients:
# pipelined TCP answered whole; idle TCP clients evicted for a new one;
# malformed upstream records relayed unchanged; every opcode answered with
# its own opcode.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns_upstream.sh"
export TZ=UTC
PY=/usr/bin/python3
upstream_test python
PROBE="/usr/bin/python3 $(dirname "$0")/dns_probe.py"

cat >"$CONF" <<CONF
[daemon]
listen = $FWD:53
upstream = $UP4
intercept = no

[list social]
domains = $UP_LISTED
CONF
start_daemon
probe() { ip netns exec "$NS" $PROBE "$@"; }

# --- pipelined TCP: every query written at once gets its answer -------------
eq "40 queries pipelined on one TCP connection get 40 answers" \
	"$(probe pipeline $FWD "$UP_BOTH" 40)" 40
eq "and 200" "$(probe pipeline $FWD "$UP_BOTH" 200)" 200

# --- a full table of idle TCP clients: the idlest makes room ----------------
eq "64 idle TCP connections do not shut a TCP client out" \
	"$(probe tcpfill $FWD "$UP_BOTH" 64)" "answered 1"
check "the eviction is counted" \
	test "$(js 'j["counters"]["tcp_evicted"]' status)" -ge 1

# --- malformed records: relayed as the upstream sent them, at once ---------
for n in "$UP_BAD_ORDER" "$UP_BAD_HINT"; do
	want=$(probe raw $UP4 "$n" HTTPS)
	start=$(date +%s%N)
	got=$(probe raw $FWD "$n" HTTPS)
	ms=$((($(date +%s%N) - start) / 1000000))
	eq "$n HTTPS (malformed RDATA) relayed byte for byte" "$got" "$want"
	check "at once ($ms ms)" test "$ms" -lt 1000
done

# --- every opcode: NOTIMP with the request's opcode and question ------------
for op in notify update status 1 6 15; do
	OUT=$(ip netns exec "$NS" dig +time=2 +tries=1 @$FWD +opcode=$op "$UP_BOTH" SOA 2>&1)
	expect_in "status: NOTIMP" "opcode $op: NOTIMP"
	case $OUT in *"opcode mismatch"* | *"timed out"*) fail "opcode $op: $OUT" ;; *) ok ;; esac
	expect_in "QUERY: 1," "opcode $op: the question copied back"
done
OUT=$(ip netns exec "$NS" dig +time=2 +tries=1 @$FWD +opcode=notify +tcp "$UP_BOTH" SOA 2>&1)
expect_in "opcode: NOTIFY, status: NOTIMP" "NOTIFY over TCP too"

stop_daemon || fail "clean stop"
finish
