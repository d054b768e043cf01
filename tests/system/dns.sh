#!/bin/bash
# The filtering forwarder with real peers: dnsmasq as the upstream inside the
# test's namespace, dig as the client, nft -j as the reader of the learned
# sets and curl across a veth pair to show a connection cut. Relay of every
# record type, TCP after truncation, blocking with EDE during a pause,
# bypass hygiene, learning (CNAME chains, HTTPS hints, shared addresses kept
# out), interception of port 53 to any address, and SERVFAIL without upstream.
# A small Python upstream (dnspython) holds and reorders answers to put many
# queries in flight on the pooled upstream sockets, sends forged replies ahead
# of the real one, and is stopped and restarted under the forwarder.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns_upstream.sh"
export TZ=UTC
# dnspython comes with Debian's python3, which may not be the first on PATH.
PYDNS=
for p in python3 /usr/bin/python3; do
	"$p" -c 'import dns.message' 2>/dev/null && PYDNS=$p && break
done
command -v dig >/dev/null && command -v dnsmasq >/dev/null && command -v curl >/dev/null &&
	[ -n "$PYDNS" ] || {
	echo "skip: needs dig, dnsmasq, curl and python3-dnspython" >&2
	exit 77
}

UP4=$UP_SUGGESTED_ADDR4
FWD=127.0.0.153
NS2=smbt2-$$
trap 'upstream_stop; ip netns delete "$NS2" 2>/dev/null; cleanup' EXIT

# A second host behind a veth pair serves HTTP on the listed name's address.
ip netns add "$NS2"
ip link add smbv1 netns "$NS" type veth peer name smbv2 netns "$NS2"
ip -n "$NS" addr add 10.99.0.1/24 dev smbv1
ip -n "$NS" link set smbv1 up
ip -n "$NS2" addr add 10.99.0.2/24 dev smbv2
ip -n "$NS2" addr add "$UP_LISTED_A/32" dev smbv2
ip -n "$NS2" link set smbv2 up
ip -n "$NS2" link set lo up
ip -n "$NS" route add default via 10.99.0.2
ip netns exec "$NS2" python3 -m http.server --bind "$UP_LISTED_A" 8080 >/dev/null 2>&1 &
WEB=$!
PYUP=
trap 'kill $WEB $PYUP 2>/dev/null; upstream_stop; ip netns delete "$NS2" 2>/dev/null; cleanup' EXIT

upstream_start "$NS" "$UP4"

cat >"$CONF" <<CONF
[daemon]
listen = $FWD:53
upstream = $UP4
intercept = yes
blocked_answer = nxdomain
blocked_ttl = 10s
learn_min = 10m

[list social]
services = reddit
domains = $UP_LISTED
allow = $UP_ALLOWED

[list plain]
domains = plain.$UP_ZONE
CONF
start_daemon

d() { ip netns exec "$NS" dig +time=3 +tries=1 "$@"; }
short() { d +short "$@" | sort; }

# --- relay: the same answers through the forwarder as from the upstream -------
for q in "$UP_BOTH A" "$UP_BOTH AAAA" "$UP_CNAME A" "$UP_MX MX" "$UP_TXT TXT" "$UP_SRV SRV" \
	"$UP_HTTPS HTTPS" "$UP_BIG A" "$UP_LISTED A" "$UP_LOOKALIKE A"; do
	# shellcheck disable=SC2086
	eq "relay of $q" "$(short @$FWD $q)" "$(short @$UP4 $q)"
done
check "the CNAME chain arrives whole" test "$(short @$FWD "$UP_CNAME" A | wc -l)" -eq 4
eq "the large RRset over TCP" "$(short @$FWD +tcp "$UP_BIG" A | wc -l)" "$UP_BIG_COUNT"
OUT=$(d @$FWD +noedns +ignore "$UP_BIG" A)
expect_in "flags: qr aa tc rd ra" "a UDP client without EDNS gets the upstream's TC answer for the large RRset"
eq "dig falls back to TCP and gets it all" "$(short @$FWD +noedns "$UP_BIG" A | wc -l)" "$UP_BIG_COUNT"
OUT=$(d @$FWD +dnssec "$UP_BOTH" A)
expect_in "flags: do" "the DO bit is relayed (EDNS kept)"
OUT=$(d @$FWD nosuch.$UP_ZONE A)
expect_in "status: NXDOMAIN" "negative answers are relayed"

# --- learning: listed names feed the sets, shared addresses stay out --------
# (shared: names in no list of two registrable domains answered with it)
short @$FWD "$UP_SHARED_UNLISTED" A >/dev/null
short @$FWD "$UP_SHARED_OTHER" A >/dev/null
short @$FWD "$UP_SHARED_LISTED" A >/dev/null
short @$FWD "$UP_LISTED_SUB" AAAA >/dev/null
short @$FWD "$UP_LISTED_CNAME" A >/dev/null
short @$FWD "$UP_LISTED" HTTPS >/dev/null
sleep 0.3
elems4=$(nftj '" ".join(sorted(str(e["elem"]["val"]) if isinstance(e, dict) else str(e) for o in j if "set" in o and o["set"]["name"] == "learned4_social" for e in o["set"].get("elem", [])))')
elems6=$(nftj '" ".join(sorted(str(e["elem"]["val"]) if isinstance(e, dict) else str(e) for o in j if "set" in o and o["set"]["name"] == "learned6_social" for e in o["set"].get("elem", [])))')
contains "the listed name's address is learned" "$elems4" "$UP_LISTED_A"
contains "an address at the end of a listed CNAME chain is learned" "$elems4" "$UP_LISTED_CNAME_A"
contains "an HTTPS ipv4hint is learned" "$elems4" "$UP_LISTED_HINT4"
contains "a subdomain's AAAA is learned" "$elems6" "$UP_LISTED_SUB_AAAA"
case " $elems4 " in *" $UP_SHARED_A "*) fail "a shared address was learned: $elems4" ;; *) ok ;; esac
case " $elems4 " in *" $UP_LOOKALIKE_A "*) fail "a lookalike's address was learned" ;; *) ok ;; esac
check "learned elements carry timeouts" test "$(nftj 'min(e["elem"]["timeout"] for o in j if "set" in o and o["set"]["name"] == "learned4_social" for e in o["set"].get("elem", []) if isinstance(e, dict))')" -ge 590

expect_rc 1 "check of a learned address, outside a break (not blocked now: 1)" smctl check "$UP_LISTED_A"
expect_in "is in the sets" "check says a learned address is in the sets"
expect_rc 1 "check of a shared address" smctl check "$UP_SHARED_A"
expect_in "is shared" "check says a shared address is kept out"
expect_rc 1 "check of an IPv6 address" smctl check "$UP_LISTED_SUB_AAAA"
expect_in "is in the sets" "IPv6 too"

# --- outside a break nothing is cut ------------------------------------------
check "HTTP to the listed address works outside a break" \
	ip netns exec "$NS" curl -s -o /dev/null -m 3 "http://$UP_LISTED_A:8080/"

# --- during a pause ----------------------------------------------------------
expect_rc 0 "pause" smctl pause 10m
OUT=$(d @$FWD "$UP_LISTED" A)
expect_in "status: NXDOMAIN" "a listed name is blocked"
expect_in "EDE: 15 (Blocked)" "with Extended DNS Error 15"
expect_in "pause until" "whose text names the break and its end"
expect_in "SOA" "with a SOA for short negative caching"
OUT=$(d @$FWD "$UP_LISTED_SUB" AAAA)
expect_in "status: NXDOMAIN" "a subdomain is blocked"
OUT=$(d @$FWD "$UP_LISTED" HTTPS)
expect_in "status: NOERROR" "HTTPS of a blocked name is answered"
expect_in "ANSWER: 0" "with an empty answer"
eq "a lookalike is not blocked" "$(short @$FWD "$UP_LOOKALIKE" A)" "$UP_LOOKALIKE_A"
eq "an allowed name is not blocked" "$(short @$FWD "$UP_ALLOWED" A)" "$UP_ALLOWED_A"
OUT=$(d @$FWD use-application-dns.net A)
expect_in "status: NXDOMAIN" "Firefox's DoH canary says no"
OUT=$(d @$FWD mask.icloud.com A)
expect_in "status: NXDOMAIN" "iCloud Private Relay's canary says no"
OUT=$(d @$FWD dns.google A)
expect_in "status: NXDOMAIN" "a public DoH resolver is blocked by name"
OUT=$(d @$FWD _dns.resolver.arpa SVCB)
expect_in "ANSWER: 0" "designated-resolver discovery finds nothing"
# Interception: a query to any address on port 53 reaches the filter.
OUT=$(d @192.0.2.99 "$UP_LISTED" A)
expect_in "status: NXDOMAIN" "a UDP query to another server is intercepted"
OUT=$(d @192.0.2.99 +tcp "$UP_LISTED" A)
expect_in "status: NXDOMAIN" "a TCP query to another server is intercepted"
# The learned address is cut: TCP gets a reset at once.
expect_rc 7 "HTTP to the learned address is refused during the break" \
	ip netns exec "$NS" curl -s -o /dev/null -m 3 "http://$UP_LISTED_A:8080/"
OUT=$(d @$FWD www.reddit.com A)
expect_in "status: NXDOMAIN" "a catalog service's name is blocked without asking upstream"
OUT=$(d @$FWD www.plain.$UP_ZONE A)
expect_in "status: NXDOMAIN" "a name of a list without services is blocked"
OUT=$(smctl stats --days 2)
expect_in "reddit" "stats count blocked attempts by service"
expect_in "social" "and by list for entries of the list's own"
expect_in "plain" "and by list for a list without services"
expect_in "#" "with a bar chart"
check "per-day counts in JSON" test "$(js 'j["per_day"][0]["counters"]["social"]' stats --days 1)" -ge 4
check "blocked answers are counted" test "$(js 'j["counters"]["blocked"]' status)" -ge 7

# --- after the pause everything resolves and connects again --------------------
expect_rc 0 "resume" smctl resume
eq "the listed name resolves again" "$(short @$FWD "$UP_LISTED" A)" "$UP_LISTED_A"
eq "intercepted queries reach the upstream through the filter" \
	"$(short @192.0.2.99 "$UP_BOTH" A)" "$UP_BOTH_A"
check "HTTP works again after the break" \
	ip netns exec "$NS" curl -s -o /dev/null -m 3 "http://$UP_LISTED_A:8080/"

# --- malformed queries ----------------------------------------------------------
printf '\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07broken' |
	ip netns exec "$NS" timeout 2 python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1.5)
s.sendto(sys.stdin.buffer.read(), ("127.0.0.153", 53))
r = s.recv(512)
print("rcode", r[3] & 15)' >"$T/formerr" 2>&1
eq "a malformed query gets FORMERR" "$(cat "$T/formerr")" "rcode 1"
eq "the forwarder still answers" "$(short @$FWD "$UP_BOTH" A)" "$UP_BOTH_A"

# --- failover: a silent first upstream costs one timeout, then the next answers --
sed -i "s/^upstream = .*/upstream = 10.99.0.77 $UP4/" "$CONF"
expect_rc 0 "reload with a silent first upstream" smctl reload
eq "the second upstream answers after the first times out" \
	"$(short +time=5 @$FWD "$UP_CNAME_TARGET" A)" "$UP_CNAME_A"
sed -i "s/^upstream = .*/upstream = $UP4/" "$CONF"
expect_rc 0 "reload back" smctl reload

# --- many queries in flight on the pooled upstream sockets ----------------------
# The Python upstream answers hN.pool.test with 10.77.N/256.N%256, holding the
# answers until it has 200 of them (or for a second) and sending them in
# reverse order, aN.pool.test at once with 10.78.N/256.N%256; forge.pool.test first gets a reply with its id and another
# question, then one with its question and another id, then the real answer.
PY4=192.0.2.54
ip -n "$NS" addr add "$PY4/32" dev lo
cat >"$T/pyup.py" <<'PY'
import select, socket, sys, time
import dns.message, dns.rrset
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 53))
held, first = [], 0.0
def answer(q, name, addr):
    r = dns.message.make_response(q)
    r.answer.append(dns.rrset.from_text(name, 60, "IN", "A", addr))
    return r.to_wire()
while True:
    if held and (len(held) >= 200 or time.time() - first > 1.0):
        for wire, peer in reversed(held):
            s.sendto(wire, peer)
        held = []
    if not select.select([s], [], [], 0.05)[0]:
        continue
    data, peer = s.recvfrom(4096)
    q = dns.message.from_wire(data)
    name = q.question[0].name.to_text().lower()
    label = name.split(".")[0]
    if name == "forge.pool.test.":
        other = dns.message.make_query("forgf.pool.test", "A")
        other.id = q.id
        s.sendto(answer(other, "forgf.pool.test.", "10.66.66.66"), peer)
        wrong = dns.message.make_response(q)
        wrong.id = q.id ^ 0x5a5a
        wrong.answer.append(dns.rrset.from_text(name, 60, "IN", "A", "10.66.66.67"))
        s.sendto(wrong.to_wire(), peer)
        time.sleep(0.05)
        s.sendto(answer(q, name, "10.77.77.77"), peer)
    elif label[:1] in "ah" and label[1:].isdigit():
        n = int(label[1:])
        wire = answer(q, name, "10.%d.%d.%d" % (77 + (label[0] == "a"), n >> 8, n & 255))
        if label[0] == "a":
            s.sendto(wire, peer)
            continue
        if not held:
            first = time.time()
        held.append((wire, peer))
    else:
        s.sendto(answer(q, name, "10.77.255.255"), peer)
PY
pyup_start() {
	ip netns exec "$NS" "$PYDNS" "$T/pyup.py" "$PY4" 2>>"$T/pyup.log" &
	PYUP=$!
	for _ in $(seq 1 50); do
		[ "$(ip netns exec "$NS" dig +time=1 +tries=1 +short @$PY4 a1.pool.test A)" = 10.78.0.1 ] &&
			return 0
		sleep 0.1
	done
	fail "the Python upstream did not come up: $(cat "$T/pyup.log")"
}
pyup_start
sed -i "s/^upstream = .*/upstream = $PY4/" "$CONF"
expect_rc 0 "reload with the Python upstream" smctl reload
# 200 clients at once, each on its own socket, each with another name.
ip netns exec "$NS" timeout 20 "$PYDNS" -c '
import select, socket, time
import dns.message
pending = {}
for i in range(200):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    q = dns.message.make_query("h%d.pool.test" % i, "A")
    s.sendto(q.to_wire(), ("127.0.0.153", 53))
    pending[s] = (q, "10.77.%d.%d" % (i >> 8, i & 255))
good = bad = 0
end = time.time() + 8
while pending and time.time() < end:
    for s in select.select(list(pending), [], [], 0.5)[0]:
        q, want = pending.pop(s)
        r = dns.message.from_wire(s.recv(4096))
        got = [rd.address for rr in r.answer for rd in rr]
        if q.is_response(r) and got == [want]:
            good += 1
        else:
            bad += 1
print(good, bad, len(pending))' >"$T/many" 2>&1
eq "200 queries in flight at once all get their own answer" "$(cat "$T/many")" "200 0 0"
bad0=$(js 'j["counters"]["bad_replies"]' status)
eq "a forged reply (right id, wrong question) does not get through" \
	"$(short @$FWD forge.pool.test A)" "10.77.77.77"
check "forged and mismatched replies are counted" \
	test "$(js 'j["counters"]["bad_replies"]' status)" -ge $((bad0 + 2))

# --- the upstream stops and comes back: SERVFAIL at once, then answers -----------
kill "$PYUP"
wait "$PYUP" 2>/dev/null
t0=$(date +%s%N)
OUT=$(d @$FWD a7.pool.test A)
t1=$(date +%s%N)
expect_in "status: SERVFAIL" "SERVFAIL while the upstream is down"
check "at once: the port unreachable fails the query over without its timeout" \
	test $(((t1 - t0) / 1000000)) -lt 1000
# More queries while it is down, so that several pooled sockets see the error.
for i in $(seq 1 8); do d @$FWD "a$i.pool.test" A >/dev/null; done
pyup_start
eq "answers again once the upstream is back" "$(short @$FWD a9.pool.test A)" "10.78.0.9"
check "and keeps answering (every socket of the pool)" \
	test "$(for i in $(seq 1 40); do short @$FWD "a$i.pool.test" A; done | grep -c '^10\.78\.')" -eq 40
kill "$PYUP"
wait "$PYUP" 2>/dev/null
PYUP=
sed -i "s/^upstream = .*/upstream = $UP4/" "$CONF"
expect_rc 0 "reload back to dnsmasq" smctl reload

# --- stats survive a clean stop ------------------------------------------------
stop_daemon || fail "clean stop"
check "the stats are saved at stop" grep -q " reddit 1$" "$STATE/stats"
start_daemon
check "and read back at start" test "$(js 'j["per_day"][0]["counters"]["reddit"]' stats --days 1)" -eq 1

# --- a crash leaves the redirect; --cleanup (systemd's ExecStopPost) takes it out
kill9_daemon
OUT=$(d @192.0.2.99 "$UP_BOTH" A)
expect_in "connection refused" "after kill -9 the redirect points at nothing"
check "--cleanup after a crash" ip netns exec "$NS" "$SMBREAKD" --cleanup
eq "no redirect rules after --cleanup" "$(nftj 'len(rules("intercept"))')" 0
eq "DNS works without the daemon" "$(short @$UP4 "$UP_BOTH" A)" "$UP_BOTH_A"
start_daemon

# --- no upstream: SERVFAIL within the timeout -----------------------------------
upstream_stop
t0=$(date +%s%N)
OUT=$(d @$FWD "$UP_BOTH" A)
t1=$(date +%s%N)
expect_in "status: SERVFAIL" "SERVFAIL when the upstream is gone"
check "SERVFAIL comes within the timeout" test $(((t1 - t0) / 1000000)) -lt 2900

# --- a flood from one client does not starve another -----------------------------
# An upstream that never answers (nothing at that address on the veth link):
# every relayed query waits out its timeout, so the flood fills its share of
# the in-flight table, and another client still gets in.
sed -i "s/^upstream = .*/upstream = 10.99.0.77/" "$CONF"
expect_rc 0 "reload with a silent upstream" smctl reload
ip netns exec "$NS" python3 -c '
import socket, struct, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
for i in range(1000):
    q = struct.pack(">HHHHHH", i, 0x100, 1, 0, 0, 0) + b"\x05flood\x04smbt\x04test\x00\x00\x01\x00\x01"
    s.sendto(q, ("127.0.0.153", 53))
    time.sleep(0.0005)
'
OUT=$(d +time=4 -b 127.0.0.2 @$FWD "$UP_BOTH" A)
expect_in "status: SERVFAIL" "another client is still admitted during a flood (SERVFAIL after the timeout, not REFUSED)"
check "the flood beyond its share was refused" \
	test "$(js 'j["counters"]["refused"]' status)" -ge 400

stop_daemon || fail "clean stop"
eq "the intercept rule is gone with the table" "$(nftj 'len(j)')" 0
finish
