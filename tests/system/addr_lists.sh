#!/bin/bash
# The address layer per list, with dnsmasq as the upstream, dig as the client,
# curl to a second namespace and `nft -j` as the reader: a pause on one list
# cuts the addresses learned for that list and only those (an address learned
# for two lists while either is on), and `smctl check NAME` and `smctl check
# ADDRESS` agree; a list's `addresses =` ranges are blocked with it, merged,
# and check names the list and the range; learned addresses survive a kill -9
# and a clean restart during a pause, though their names now answer NXDOMAIN;
# and the kernel's sets stop at the forwarder's bound (65,536) however many
# addresses the answers carry, the soonest-expiring giving way, counted in
# status.
. "$(dirname "$0")/lib.sh"
export TZ=UTC
command -v dig >/dev/null && command -v dnsmasq >/dev/null && command -v curl >/dev/null || {
	echo "skip: needs dig, dnsmasq and curl" >&2
	exit 77
}

UP=192.0.2.53 # dnsmasq: the names of the lists
BIG=192.0.2.54 # a Python upstream: 60 random addresses per answer
SOCIAL_A=10.98.1.1 VIDEO_A=10.98.2.2 BOTH_A=10.98.3.3 RANGE_A=10.98.4.7
NS2=smbt2-$$
ip netns add "$NS2"
ip link add smbv1 netns "$NS" type veth peer name smbv2 netns "$NS2"
ip -n "$NS" addr add 10.98.0.1/24 dev smbv1
ip -n "$NS" link set smbv1 up
ip -n "$NS2" addr add 10.98.0.2/24 dev smbv2
for a in $SOCIAL_A $VIDEO_A $BOTH_A $RANGE_A; do ip -n "$NS2" addr add "$a/32" dev smbv2; done
ip -n "$NS2" link set smbv2 up
ip -n "$NS2" link set lo up
ip -n "$NS" route add default via 10.98.0.2
ip -n "$NS" addr add "$UP/32" dev lo
ip -n "$NS" addr add "$BIG/32" dev lo
ip netns exec "$NS2" python3 -m http.server --bind 0.0.0.0 8080 >/dev/null 2>&1 &
WEB=$!
ip netns exec "$NS" dnsmasq --keep-in-foreground -C /dev/null --no-hosts --no-resolv --no-poll \
	--bind-interfaces --listen-address=$UP --port=53 --user=root --group=root \
	--pid-file="$T/dnsmasq.pid" --address=/a.social.test/$SOCIAL_A \
	--address=/x.social.test/$BOTH_A --address=/v.video.test/$VIDEO_A \
	--address=/y.video.test/$BOTH_A >"$T/dnsmasq.log" 2>&1 &
DNSMASQ=$!
wait_dns $UP a.social.test $SOCIAL_A
# The answer: the question, then 60 A records named by a pointer to it.
ip netns exec "$NS" python3 -c '
import random, socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("'$BIG'", 53))
while True:
    q, peer = s.recvfrom(4096)
    end = 12
    while q[end]:
        end += q[end] + 1
    question = q[12:end + 5]
    rrs = b"".join(struct.pack(">HHHIH4B", 0xC00C, 1, 1, random.randrange(700, 3600), 4,
                               10, random.randrange(100, 200), random.randrange(256),
                               random.randrange(256)) for _ in range(60))
    s.sendto(q[:2] + struct.pack(">HHHHH", 0x8180, 1, 60, 0, 0) + question + rrs, peer)
' >"$T/big.log" 2>&1 &
PYUP=$!
trap 'kill $WEB $DNSMASQ $PYUP 2>/dev/null; ip netns delete "$NS2" 2>/dev/null; cleanup' EXIT

cat >"$CONF" <<CONF
[daemon]
listen = 127.0.0.153:53
upstream = $UP
intercept = no
learn_min = 10m

[list social]
domains = social.test

[list video]
domains = video.test
addresses = 10.98.4.0/25 10.98.4.128/25
  2001:db8:98::/48

[list big]
domains = big.test
CONF
start_daemon

d() { ip netns exec "$NS" dig @127.0.0.153 +time=3 +tries=1 +short "$@"; }
get() { ip netns exec "$NS" curl -s -o /dev/null -m 3 "http://$1:8080/" && echo open || echo cut; }
set_elems() { nftj "sorted(str(e['elem']['val']) if 'elem' in e else str(e) if isinstance(e, dict) else e for o in j if 'set' in o and o['set']['name'] == '$1' for e in o['set'].get('elem', []))"; }
blocked() { js '"blocked" if j.get("blocked") else "not blocked"' check "$1"; }
# smctl check NAME and smctl check ADDRESS agree, and say what the rules do.
agree() { # NAME ADDRESS WANT
	eq "$4: check $1" "$(blocked "$1")" "$3"
	eq "$4: check $2" "$(blocked "$2")" "$3"
	eq "$4: traffic to $2" "$(get "$2")" "$([ "$3" = blocked ] && echo cut || echo open)"
}

eq "social's name" "$(d a.social.test A)" "$SOCIAL_A"
d v.video.test A >/dev/null
d x.social.test A >/dev/null
d y.video.test A >/dev/null
sleep 0.3
eq "social's set: its addresses only" "$(set_elems learned4_social)" "[\"$SOCIAL_A\", \"$BOTH_A\"]"
eq "video's set" "$(set_elems learned4_video)" "[\"$VIDEO_A\", \"$BOTH_A\"]"
eq "video's ranges, merged" "$(set_elems ranges4_video)" "[\"{'prefix': {'addr': '10.98.4.0', 'len': 24}}\"]"
eq "the IPv6 range" "$(set_elems ranges6_video)" "[\"{'prefix': {'addr': '2001:db8:98::', 'len': 48}}\"]"
eq "outside a break every address is open" "$(get $SOCIAL_A) $(get $VIDEO_A) $(get $RANGE_A)" "open open open"

# --- a pause of social: video's addresses stay open --------------------------
expect_rc 0 "pause social" smctl pause 10m --list social
agree a.social.test $SOCIAL_A blocked "pause social"
agree v.video.test $VIDEO_A "not blocked" "pause social"
agree x.social.test $BOTH_A blocked "pause social (an address of both lists)"
eq "pause social: video's range is open" "$(get $RANGE_A) $(blocked $RANGE_A)" "open not blocked"
expect_rc 1 "check of video's address (not blocked now: exit 1)" smctl check $VIDEO_A
expect_in "in the sets of list video" "check names the address's list"
expect_in "it is blocked during breaks with its lists" "and says it is not blocked now"
expect_rc 0 "resume" smctl resume

# --- a pause of video: its addresses and its ranges ---------------------------
expect_rc 0 "pause video" smctl pause 10m --list video
agree v.video.test $VIDEO_A blocked "pause video"
agree a.social.test $SOCIAL_A "not blocked" "pause video"
agree y.video.test $BOTH_A blocked "pause video (an address of both lists)"
eq "pause video: the range is cut" "$(get $RANGE_A) $(blocked $RANGE_A)" "cut blocked"
expect_rc 0 "check of an address in a range" smctl check $RANGE_A
expect_in "10.98.4.7 is in 10.98.4.0/25, an address range of list video ($CONF:12); it is blocked now" \
	"check names the list, the range and its line"
eq "the name answers NXDOMAIN now" "$(ip netns exec "$NS" dig @127.0.0.153 +time=3 +tries=1 v.video.test A | grep -o 'status: [A-Z]*')" "status: NXDOMAIN"

# --- restarts during the pause: what was learned stays blocked --------------
kill9_daemon
start_daemon
eq "kill -9 and start: the learned address is still in video's set" "$(set_elems learned4_video)" "[\"$VIDEO_A\", \"$BOTH_A\"]"
check "with the time it had left" test "$(nftj "min(e['elem']['expires'] for o in j if 'set' in o and o['set']['name'] == 'learned4_video' for e in o['set']['elem'])")" -gt 500
agree v.video.test $VIDEO_A blocked "after kill -9"
grep -q "learned addresses carried over from the table it replaced" "$LOG" && ok || fail "the carry is logged"
stop_daemon || fail "clean stop"
eq "a clean stop removes the table" "$(nftj 'len(j)')" 0
start_daemon
eq "clean restart: the learned addresses are back in their sets" "$(set_elems learned4_video) $(set_elems learned4_social)" \
	"[\"$VIDEO_A\", \"$BOTH_A\"] [\"$SOCIAL_A\", \"$BOTH_A\"]"
agree v.video.test $VIDEO_A blocked "after a clean restart"
agree a.social.test $SOCIAL_A "not blocked" "after a clean restart"
expect_rc 0 "resume" smctl resume

# --- the bound: 90,000 addresses in answers, at most 65,536 in a set ---------
cat >"$CONF.big" <<CONF
[daemon]
listen = 127.0.0.153:53
upstream = $BIG
intercept = no

[list big]
domains = big.test
CONF
stop_daemon || fail "clean stop"
cp "$CONF.big" "$CONF"
start_daemon
seq 1 1500 | sed 's/$/.big.test A/' >"$T/names"
ip netns exec "$NS" dig @127.0.0.153 +time=3 +tries=1 +short -f "$T/names" | wc -l >"$T/answers"
sleep 1
n=$(ip netns exec "$NS" nft -j list set inet smbreak learned4_big | python3 -c 'import json,sys; print(len([o["set"] for o in json.load(sys.stdin)["nftables"] if "set" in o][0].get("elem", [])))')
check "answers carried some 90,000 addresses" test "$(cat "$T/answers")" -gt 80000
check "the kernel's set stops at the bound (got $n)" test "$n" -le 65536
check "and holds most of it (got $n)" test "$n" -gt 40000
evicted=$(js 'j["counters"]["evicted_at_bound"]' status)
check "status counts the evictions (got $evicted)" test "$evicted" -gt 0
eq "status: the bound" "$(js 'j["counters"]["learned_max"]' status)" 65536
finish
