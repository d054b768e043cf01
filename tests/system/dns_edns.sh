#!/bin/bash
# EDNS as RFC 6891 has it (issue 13 item 7), with Unbound as the upstream (it
# checks the EDNS version) and dig and dnspython as clients: a query with EDNS
# version 1 is relayed (an nftables counter in the test's namespace sees it
# leave), so its BADVERS is the upstream's, with whatever options the upstream
# echoes; during a break a blocked name's BADVERS is made here, with an OPT; a
# FORMERR to a query that carried an OPT carries an OPT.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/assert.sh"
export TZ=UTC
if ! command -v unbound >/dev/null || ! command -v dig >/dev/null ||
	! /usr/bin/python3 -c 'import dns.message' 2>/dev/null; then
	echo "skip: needs unbound, dig and python3-dnspython" >&2
	exit 77
fi
UP=192.0.2.53
FWD=127.0.0.153
ip -n "$NS" addr add $UP/32 dev lo
cat >"$T/unbound.conf" <<UNB
server:
	interface: $UP
	port: 53
	do-daemonize: no
	chroot: ""
	username: ""
	directory: "$T"
	pidfile: ""
	use-syslog: no
	logfile: "$T/unbound.log"
	verbosity: 1
	access-control: 0.0.0.0/0 allow
	do-ip6: no
	module-config: "iterator"
	local-zone: "smbt.test." static
	local-data: "both.smbt.test. 300 A 198.51.100.10"
	local-data: "social.smbt.test. 300 A 198.51.100.30"
UNB
ip netns exec "$NS" unbound -c "$T/unbound.conf" &
UPID=$!
trap 'kill $UPID 2>/dev/null; wait $UPID 2>/dev/null; cleanup' EXIT
wait_dns $UP both.smbt.test 198.51.100.10

d() { ip netns exec "$NS" dig +time=3 +tries=1 "$@"; }
# status and NSID of an answer, the fields RFC 6891 is about
edns_of() { d "$@" | sed -n 's/.*status: \([A-Z]*\),.*/\1/p; s/.*; NSID: .*("\(.*\)").*/nsid=\1/p; s/.*EDNS: version: \([0-9]*\).*/version=\1/p' | tr '\n' ' '; }
PROBE="/usr/bin/python3 $(dirname "$0")/dns_probe.py"
raw() { ip netns exec "$NS" $PROBE raw "$@"; }
want=$(edns_of @$UP +edns=1 +noednsneg +nsid both.smbt.test)
eq "unbound itself answers EDNS version 1 with BADVERS" "$want" "BADVERS version=0 "
want_raw=$(raw $UP both.smbt.test A 1)

cat >"$CONF" <<CONF
[daemon]
listen = $FWD:53
upstream = $UP
intercept = no

[list social]
domains = social.smbt.test
CONF
start_daemon
# the test's own counter of datagrams to the upstream, beside smbreak's table
ip netns exec "$NS" nft -f - <<'NFT'
table ip smbt_count {
	chain out { type filter hook output priority 0; ip daddr 192.0.2.53 udp dport 53 counter; }
}
NFT
sent() { ip netns exec "$NS" nft -j list table ip smbt_count | python3 -c '
import json, sys
for o in json.load(sys.stdin)["nftables"]:
    for e in o.get("rule", {}).get("expr", []):
        if "counter" in e: print(e["counter"]["packets"])'; }

# --- EDNS version 1: the upstream's BADVERS, its NSID included ---------------
n=$(sent)
eq "EDNS version 1 is answered with the upstream's BADVERS, byte for byte" \
	"$(raw $FWD both.smbt.test A 1)" "$want_raw"
eq "relayed to the upstream, not made here" "$(sent)" $((n + 1))
eq "EDNS version 1 over TCP too" "$(edns_of @$FWD +tcp +edns=1 +noednsneg +nsid both.smbt.test)" "$want"
eq "version 0 is answered as before" "$(d +short @$FWD both.smbt.test)" 198.51.100.10
n=$(sent)
eq "a cached name with EDNS version 1: the upstream's BADVERS still" \
	"$(raw $FWD both.smbt.test A 1)" "$want_raw"
eq "not an answer from the cache" "$(sent)" $((n + 1))

# --- during a break: a blocked name's BADVERS is ours, with an OPT -----------
smctl pause 10m >/dev/null
n=$(sent)
OUT=$(d @$FWD +edns=1 +noednsneg social.smbt.test)
expect_in "status: BADVERS" "a blocked name with EDNS version 1: BADVERS"
expect_in "EDNS: version: 0" "in an OPT of version 0"
eq "not relayed: nothing went upstream" "$(sent)" "$n"
OUT=$(d @$FWD social.smbt.test)
expect_in "status: NXDOMAIN" "with version 0 it is blocked as usual"
eq "an unlisted name during the break still relays EDNS 1" \
	"$(raw $FWD both.smbt.test A 1)" "$want_raw"
smctl resume >/dev/null

# --- FORMERR to a query that carried an OPT carries an OPT -------------------
probe() {
	ip netns exec "$NS" /usr/bin/python3 - "$FWD" "$1" <<'PY'
import socket, struct, sys
import dns.message, dns.rcode
addr, case = sys.argv[1], sys.argv[2]
q = dns.message.make_query("both.smbt.test", "A", use_edns=0, payload=1232)
wire = bytearray(q.to_wire())
opt = wire[-11:]  # root, type 41, class, ttl, rdlen 0
if case == "noquestion":
    # QDCOUNT 0, the question dropped, the OPT kept
    wire = wire[:4] + b"\0\0" + wire[6:12] + opt
elif case == "twoopt":
    wire[10:12] = struct.pack("!H", 2)
    wire += opt
elif case == "badoption":
    # an option whose length runs past the RDATA
    wire = wire[:-2] + struct.pack("!H", 4) + struct.pack("!HH", 10, 8)
elif case == "noopt":
    q = dns.message.make_query("both.smbt.test", "A", use_edns=False)
    wire = bytearray(q.to_wire())
    wire[4:6] = b"\0\0"
    wire = wire[:12]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(bytes(wire), (addr, 53))
r, _ = s.recvfrom(65535)
# the header and the additional section, read by hand: dnspython refuses a
# reply to a query without a question
flags, qd, an, ns, ar = struct.unpack("!HHHHH", r[2:12])
has_opt = False
off = 12
for _ in range(qd):
    while r[off]:
        off += 1 + r[off]
    off += 5
for _ in range(an + ns + ar):
    owner = off
    while r[off] and r[off] < 0xc0:
        off += 1 + r[off]
    off += 2 if r[off] >= 0xc0 else 1
    rtype, rclass, ttl, rdlen = struct.unpack("!HHIH", r[off:off + 10])
    if rtype == 41:
        has_opt = True
    off += 10 + rdlen
print(dns.rcode.to_text(flags & 0xf), "opt" if has_opt else "no-opt")
PY
}
eq "no question, an OPT: FORMERR with an OPT" "$(probe noquestion)" "FORMERR opt"
eq "two OPTs: FORMERR with an OPT" "$(probe twoopt)" "FORMERR opt"
eq "an OPT with a malformed option: FORMERR with an OPT" "$(probe badoption)" "FORMERR opt"
eq "no OPT: FORMERR without one" "$(probe noopt)" "FORMERR no-opt"

stop_daemon || fail "clean stop"
finish
