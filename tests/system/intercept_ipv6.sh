#!/bin/bash
# IPv6 DNS from the machine itself is intercepted with the shipped `listen`
# (127.0.0.153:53 only): during a break a query to an IPv6-only resolver
# address, over UDP and over TCP, gets smbreakd's NXDOMAIN with EDE 15 and
# never reaches that resolver; after the break it is relayed again. The
# intercept chain, as `nft -j` reads it, sends IPv6 port 53 to [::1]:153,
# where the daemon listens. A start with port 153 taken fails, saying so.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns_upstream.sh"
. "$(dirname "$0")/hostlab.sh"
lab_setup

d() { in_ns dig +time=3 +tries=1 "$@"; }

eq "the intercept chain dnats IPv6 port 53 to [::1]:153" \
	"$(nftj 'sorted({(e["dnat"]["addr"], e["dnat"]["port"]) for r in rules("intercept") for e in r["expr"] if "dnat" in e and ":" in e["dnat"]["addr"]})')" \
	'[["::1", 153]]'
eq "outside a break the IPv6 resolver answers through the filter" \
	"$(d +short @"$LAB_UP6" "$UP_LISTED" AAAA)" "$UP_LISTED_AAAA"

expect_rc 0 "pause" smctl pause 10m
before=$(upstream_queries "$UP_LISTED")
OUT=$(d @"$LAB_UP6" "$UP_LISTED" AAAA)
expect_in "status: NXDOMAIN" "UDP to an IPv6 resolver during a break: NXDOMAIN"
expect_in "EDE: 15 (Blocked)" "with EDE 15"
OUT=$(d +tcp @"$LAB_UP6" "$UP_LISTED" A)
expect_in "status: NXDOMAIN" "TCP to an IPv6 resolver during a break: NXDOMAIN"
expect_in "EDE: 15 (Blocked)" "with EDE 15 over TCP"
eq "the resolver never saw the blocked queries" "$(upstream_queries "$UP_LISTED")" "$before"
eq "other names still resolve over IPv6" "$(d +short @"$LAB_UP6" "$UP_BOTH" AAAA)" "$UP_BOTH_AAAA"
expect_rc 0 "resume" smctl resume
eq "after the break the name resolves over IPv6 again" \
	"$(d +short @"$LAB_UP6" "$UP_LISTED" AAAA)" "$UP_LISTED_AAAA"
check "a clean stop" stop_daemon

# Port 153 taken by another program: the start fails with a sentence.
: >"$LOG"
ip netns exec "$NS" /usr/bin/python3 -c '
import socket, time
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("::1", 153))
print("bound", flush=True)
time.sleep(15)' >"$T/holder" &
HOLDER=$!
# the port is taken once the holder says so (a slow interpreter start must
# not make the test race it)
for _ in $(seq 1 100); do grep -q bound "$T/holder" && break; sleep 0.05; done
in_ns timeout 10 "$SMBREAKD" -f "$CONF" -s "$SOCK" --state-dir "$STATE" --data-dir "$SMB_SOURCE_DIR/conf" -d \
	>>"$LOG" 2>&1
rc=$?
kill "$HOLDER" 2>/dev/null
check "the start fails with port 153 taken (exit $rc)" test "$rc" -ne 0
contains "the log says where and why" "$(cat "$LOG")" "cannot listen on [::1]:153 (UDP)"
contains "and what intercept needs" "$(cat "$LOG")" "intercept"

finish
