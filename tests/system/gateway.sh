#!/bin/bash
# Gateway mode on a home router: two phones on a bridge br-lan (each its own
# MAC, an IPv4 and two IPv6 addresses), the router NS running smbreakd with
# forwarding on, and NET standing for the internet (the upstream dnsmasq, an
# HTTP server on the listed name's addresses). A break for phone 1 only:
# phone 1's queries for a listed name, to the router or to an internet
# address, get NXDOMAIN with EDE 15 while phone 2 gets the answer; phone 1's
# TCP to the learned addresses is reset (from both IPv6 addresses, the
# second added during the break as a rotated privacy address, and a
# connection opened before the break) while phone 2's works; after the
# break both work. br-lan appears only after the daemon started. `nft -j`
# shows the LAN redirect and phone 1's rule by MAC.
. "$(dirname "$0")/gateway_lib.sh"
gateway_up

rules=$(nftj 'rules("intercept_routed")')
contains "the LAN's port 53 is redirected by interface name" "$rules" '"iifname"'
contains "to the routed port" "$rules" '"redirect"'
hooks=$(nftj 'sorted(o["chain"]["name"] for o in j if "chain" in o)')
contains "a chain for the devices' rules" "$hooks" '"block_devices"'

# Outside a break both phones resolve through the router (learning) and connect.
for p in "$P1" "$P2"; do
	eq "$p resolves via the router" "$(dg "$p" +short @"$R4" "$UP_LISTED" A)" "$UP_LISTED_A"
	eq "$p resolves AAAA via an internet address" \
		"$(dg "$p" +short @"$UP6" "$UP_LISTED" AAAA)" "$UP_LISTED_AAAA"
done
check "phone 1 connects outside a break" in1 curl -s -o /dev/null -m 3 "http://$UP_LISTED_A:8080/"

# A connection phone 1 opens before the break: it sends a byte on each line
# read from the fifo and says whether it was reset.
mkfifo "$T/hold"
in1 python3 - "$UP_LISTED_A" "$T/hold" >"$T/hold.out" 2>&1 <<-'PY' &
	import socket, sys, time
	s = socket.create_connection((sys.argv[1], 8080), timeout=3)
	s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
	print("connected", flush=True)
	for line in open(sys.argv[2]):
	    try:
	        for _ in range(3):
	            s.sendall(b"X-A: b\r\n")
	            time.sleep(0.3)
	        print("alive", flush=True)
	    except (ConnectionResetError, BrokenPipeError):
	        print("reset", flush=True)
	        break
PY
HOLD=$!
for _ in $(seq 1 50); do # python starts slowly on a busy machine
	grep -q connected "$T/hold.out" && break
	sleep 0.1
done
contains "a connection is open before the break" "$(cat "$T/hold.out")" "connected"

conf "[break kids]
times = 00:00-24:00
lists = social
devices = phone1"
expect_rc 0 "the break for phone 1 comes in by reload" smctl reload
sleep 0.3

for q in "@$R4" "@$R4 +tcp" "@$UP4" "@$R6" "@$UP6 +tcp"; do
	# shellcheck disable=SC2086
	OUT=$(dg "$P1" $q "$UP_LISTED" A)
	expect_in "status: NXDOMAIN" "phone 1, $q during its break: NXDOMAIN"
	expect_in "EDE: 15 (Blocked)" "phone 1, $q: EDE 15"
	# shellcheck disable=SC2086
	eq "phone 2, $q: the answer" "$(dg "$P2" +short $q "$UP_LISTED" A)" "$UP_LISTED_A"
done
expect_rc 7 "phone 1's HTTP to the learned IPv4 address is reset" \
	in1 curl -s -o /dev/null -m 3 "http://$UP_LISTED_A:8080/"
expect_rc 7 "and to the learned IPv6 address" \
	in1 curl -s -o /dev/null -m 3 "http://[$UP_LISTED_AAAA]:8080/"
# A rotated privacy address: the MAC stays, so do the breaks.
in1 ip addr add fd00:77::beef/64 dev eth0 nodad
expect_rc 7 "from the rotated IPv6 address too" \
	in1 curl -s -o /dev/null -m 3 --interface fd00:77::beef "http://[$UP_LISTED_AAAA]:8080/"
# The router learns the new address when it first answers it (NDP): until
# then a query from it gets the breaks for everyone.
dg "$P1" -b fd00:77::beef @"$R6" "$UP_BOTH" A >/dev/null
sleep 0.3
OUT=$(dg "$P1" -b fd00:77::beef @"$R6" "$UP_LISTED" AAAA)
expect_in "status: NXDOMAIN" "a query from the rotated address is phone 1's"
check "phone 2's HTTP over IPv4 works" in2 curl -s -o /dev/null -m 3 "http://$UP_LISTED_A:8080/"
for a in fd00:77::12 fd00:77::1:12; do
	check "phone 2's HTTP over IPv6 from $a works" \
		in2 curl -s -o /dev/null -m 3 --interface "$a" "http://[$UP_LISTED_AAAA]:8080/"
done
timeout 5 sh -c 'echo go >"$1"' sh "$T/hold" # no reader left: do not hang
sleep 1.5
contains "the connection opened before the break is reset" "$(cat "$T/hold.out")" "reset"

dev=$(nftj 'rules("block_devices")')
contains "phone 1's rules match its MAC" "$dev" "\"$MAC1\""
case "$dev" in *"$MAC2"*) fail "phone 2 has no rule: $dev" ;; *) ok ;; esac
contains "and jump to phone 1's chain" "$dev" '"target": "device0"'
contains "whose rules go to the refuse chain" "$(nftj 'rules("device0")')" '"refuse"'

# smctl devices: each phone with its MAC, where the router sees it, and
# what is blocked for it.
expect_rc 0 "smctl devices" smctl devices
expect_in "phone1           $MAC1" "phone 1 with its MAC"
expect_in "fd00:77::beef" "and its rotated address"
expect_in "blocked    social until" "phone 1's break"
expect_in "blocked    nothing now" "phone 2 has none"
eq "--json: phone 1's lists" "$(js '[d["in_force"] for d in j["devices"] if d["name"] == "phone1"]' devices)" '[["social"]]'
eq "--json: phone 2's addresses include its second IPv6" \
	"$(js '"fd00:77::1:12" in [d for d in j["devices"] if d["name"] == "phone2"][0]["addresses"]' devices)" true
expect_rc 0 "status" smctl status
expect_in "Blocking:  social, for device phone1 until" "status names phone 1's break"
case "$OUT" in *phone2*|*"Blocking:  nothing"*) fail "status: only phone 1 is blocked: $OUT" ;; *) ok ;; esac
expect_rc 0 "check --device phone1: blocked for phone 1" smctl check "$UP_LISTED" --device phone1
expect_rc 1 "check --device phone2: not blocked for phone 2" smctl check "$UP_LISTED" --device phone2
expect_rc 0 "check ADDRESS --device phone1: the learned address is blocked for it" \
	smctl check "$UP_LISTED_A" --device phone1
expect_rc 1 "and not for phone 2" smctl check "$UP_LISTED_A" --device phone2
expect_rc 2 "check --device of no device" smctl check "$UP_LISTED" --device phone3
expect_in "no device 'phone3' (devices: phone1, phone2)" "names the devices there are"
in_ns ip neigh add 10.77.0.99 lladdr 02:99:00:00:00:99 dev br-lan
sleep 0.2
expect_rc 0 "smctl devices again" smctl devices
expect_in "10.77.0.99" "a LAN neighbour of no device is listed"
expect_in "02:99:00:00:00:99" "with its MAC"

# A neighbour table with thousands of entries, added in one burst: the
# daemon keeps up (or reads the table again) and still tells phone 1 apart.
for i in $(seq 0 3999); do
	printf 'neigh add 10.78.%d.%d lladdr 02:78:00:00:%02x:%02x dev br-lan\n' \
		$((i / 250)) $((i % 250 + 1)) $((i / 256)) $((i % 256))
done >"$T/neigh.batch"
in_ns ip route add 10.78.0.0/16 dev br-lan
check "4000 neighbours added" in_ns ip -batch "$T/neigh.batch"
sleep 0.5
check "the forwarder knows them all" \
	test "$(js 'j["counters"]["neighbours"]' status)" -ge 4000
eq "smctl devices lists 256 of them" "$(js 'len(j["neighbours"])' devices)" 256
OUT=$(dg "$P1" @"$R4" "$UP_LISTED" A)
expect_in "status: NXDOMAIN" "phone 1 is still told apart among 4000 neighbours"
eq "phone 2 still gets the answer" "$(dg "$P2" +short @"$R4" "$UP_LISTED" A)" "$UP_LISTED_A"

expect_rc 0 "skip ends phone 1's break" smctl skip
sleep 0.3
eq "after the break phone 1 resolves again" "$(dg "$P1" +short @"$R4" "$UP_LISTED" A)" "$UP_LISTED_A"
check "and connects" in1 curl -s -o /dev/null -m 3 "http://$UP_LISTED_A:8080/"
check "over IPv6 too" in1 curl -s -o /dev/null -m 3 "http://[$UP_LISTED_AAAA]:8080/"
eq "the devices' rules are gone" "$(nftj 'len(rules("block_devices")) + len(rules("device0"))')" 0
kill9_daemon
finish
