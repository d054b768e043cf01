#!/bin/bash
# What the sets may never learn: an upstream that answers a listed name with
# a loopback, unspecified, link-local or multicast address (a filtering
# resolver's 0.0.0.0 and ::, a hosts file's 127.0.0.1, mDNS's 224.0.0.251),
# or with the upstream's own address (a Pi-hole's blocking answer), teaches
# nothing, so a break cannot cut the link's neighbours, multicast or the
# upstream for the rest of the machine (or, in gateway mode, the LAN); a
# global address in the same answer is learned as ever. nft -j reads the sets
# back; smctl check says why; loopback stays open during the break; a table
# from an older smbreakd that holds such an address loses it at the start.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/assert.sh"
export TZ=UTC
command -v dig >/dev/null && command -v dnsmasq >/dev/null || {
	echo "skip: needs dig and dnsmasq" >&2
	exit 77
}
UP=192.0.2.53 GOOD4=198.51.100.7 GOOD6=2001:db8:77::7
ip -n "$NS" addr add "$UP/32" dev lo
ip netns exec "$NS" dnsmasq --keep-in-foreground -C /dev/null --no-hosts --no-resolv --no-poll \
	--bind-interfaces --listen-address=$UP --port=53 --user=root --group=root \
	--pid-file="$T/dnsmasq.pid" \
	--host-record=lo.social.test,127.0.0.1,::1 --host-record=zero.social.test,0.0.0.0,:: \
	--host-record=link.social.test,169.254.9.9,fe80::9 \
	--host-record=multi.social.test,224.0.0.9,ff02::9 \
	--host-record=mapped.social.test,::ffff:127.0.0.1 \
	--host-record=pihole.social.test,$UP \
	--host-record=mixed.social.test,127.0.0.2,$GOOD4,$GOOD6 \
	--host-record=other.test,203.0.113.9 >"$T/dnsmasq.log" 2>&1 &
DNSMASQ=$!
LISTENER=
trap 'kill $DNSMASQ $LISTENER 2>/dev/null; cleanup' EXIT
wait_dns $UP mixed.social.test $GOOD4

cat >"$CONF" <<CONF
[daemon]
listen = 127.0.0.153:53
upstream = $UP
intercept = no
control_group = smbreak-test-nogroup
[list social]
domains = social.test
CONF
start_daemon
d() { ip netns exec "$NS" dig +time=3 +tries=1 +short @127.0.0.153 "$@"; }
for n in lo zero link multi pihole mixed; do
	d $n.social.test A >/dev/null
	d $n.social.test AAAA >/dev/null
done
d mapped.social.test AAAA >/dev/null
eq "the answers are relayed as they are" "$(d lo.social.test A)" 127.0.0.1
eq "IPv4: only the global address is learned" "$(set_words learned4_social)" "$GOOD4"
eq "IPv6: only the global address is learned" "$(set_words learned6_social)" "$GOOD6"

# During a break: loopback and the upstream stay reachable, the global
# address is cut.
ip netns exec "$NS" python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 8099)); s.listen(16)
while True: s.accept()[0].close()' &
LISTENER=$!
connects() { ip netns exec "$NS" timeout 3 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }
for _ in $(seq 1 50); do connects 127.0.0.1 8099 && break; sleep 0.1; done
expect_rc 0 "pause" smctl pause 10m
check "loopback is not cut by the break" connects 127.0.0.1 8099
eq "DNS through the upstream still answers" "$(d other.test A)" 203.0.113.9
expect_rc 1 "smctl check 127.0.0.1: not blocked" smctl check 127.0.0.1
expect_in "is never learned from an answer" "and why"
[ "$(js '"blocked" in j' check $GOOD4)" = true ] && ok || fail "the global address is blocked"
expect_rc 0 "resume" smctl resume

# A table left by an older smbreakd with 127.0.0.1 learned: the next start
# takes it out.
kill9_daemon
ip netns exec "$NS" nft add element inet smbreak learned4_social '{ 127.0.0.1 timeout 1h }'
[ "$(set_words learned4_social)" = "127.0.0.1 $GOOD4" ] && ok || fail "the old table holds 127.0.0.1: $(set_words learned4_social)"
start_daemon
for _ in $(seq 1 40); do
	[ "$(set_words learned4_social)" = "$GOOD4" ] && break
	sleep 0.05
done
eq "after the start only the global address is left" "$(set_words learned4_social)" "$GOOD4"
stop_daemon
finish
