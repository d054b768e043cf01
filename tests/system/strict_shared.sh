#!/bin/bash
# Issue 12 items 2 and 3, with dnsmasq as the upstream, dig as the client,
# curl and bash's /dev/tcp to a second namespace and `nft -j` as the reader. During a
# strict break no DNS answer unblocks an address: an unlisted alias of a
# listed name's address, its CNAME target asked directly, a nip.io name
# spelling it (nip.io is blocked by name). Outside breaks names of two
# distinct registrable domains make it shared. The shipped resolver address
# 1.1.1.1 is cut on TCP 443 during a break and open after, TCP and UDP 853
# too, and `smctl check 1.1.1.1` says why.
. "$(dirname "$0")/lib.sh"
export TZ=UTC
command -v dig >/dev/null && command -v dnsmasq >/dev/null && command -v curl >/dev/null || {
	echo "skip: needs dig, dnsmasq and curl" >&2
	exit 77
}

UP=192.0.2.53 FWD=127.0.0.153
IG=10.97.1.1 CDN=10.97.2.2 RES=1.1.1.1 DOT=10.97.3.3
NS2=smbt2-$$
ip netns add "$NS2"
ip link add smbv1 netns "$NS" type veth peer name smbv2 netns "$NS2"
ip -n "$NS" addr add 10.97.0.1/24 dev smbv1
ip -n "$NS" link set smbv1 up
ip -n "$NS2" addr add 10.97.0.2/24 dev smbv2
for a in $IG $CDN $RES $DOT; do ip -n "$NS2" addr add "$a/32" dev smbv2; done
ip -n "$NS2" link set smbv2 up
ip -n "$NS2" link set lo up
ip -n "$NS" route add default via 10.97.0.2
ip -n "$NS" addr add "$UP/32" dev lo
PIDS=
bg2() { ip netns exec "$NS2" "$@" >/dev/null 2>&1 & PIDS="$PIDS $!"; }
bg2 python3 -m http.server --bind 0.0.0.0 8080
bg2 python3 -c '
import socket, threading
def tcp(port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port)); s.listen(16)
    while True:
        c, _ = s.accept(); c.sendall(b"hello\n"); c.close()
def udp(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", port))
    while True:
        d, p = s.recvfrom(512); s.sendto(b"pong", p)
for p in (443, 853):
    threading.Thread(target=tcp, args=(p,), daemon=True).start()
udp(853)'
# www.instagram.test CNAMEs to an edge name in no list; alias.example and
# other.example hold the same addresses; 10.97.1.1.nip.io spells one.
ip netns exec "$NS" dnsmasq --keep-in-foreground -C /dev/null --no-hosts --no-resolv --no-poll \
	--bind-interfaces --listen-address=$UP --port=53 --user=root --group=root \
	--pid-file="$T/dnsmasq.pid" --cname=www.instagram.test,edge.cdn-net.example \
	--host-record=edge.cdn-net.example,$IG --host-record=alias.example,$IG \
	--host-record=other.example,$IG --host-record=10.97.1.1.nip.io,$IG \
	--host-record=cdn.social.test,$CDN --host-record=a.site-one.example,$CDN \
	--host-record=b.site-two.example,$CDN >"$T/dnsmasq.log" 2>&1 &
PIDS="$PIDS $!"
trap 'kill $PIDS 2>/dev/null; ip netns delete "$NS2" 2>/dev/null; cleanup' EXIT
wait_dns $UP alias.example $IG

cat >"$CONF" <<CONF
[daemon]
listen = $FWD:53
upstream = $UP
intercept = no

[list social]
domains = instagram.test social.test
CONF
start_daemon
d() { ip netns exec "$NS" dig +time=3 +tries=1 +short @$FWD "$@"; }
# cut|open: TCP to ADDRESS:PORT (curl for 8080, /dev/tcp otherwise)
tcp() {
	if [ "$2" = 8080 ]; then
		ip netns exec "$NS" curl -s -m 3 -o /dev/null "http://$1:8080/" && echo open || echo cut
	else
		ip netns exec "$NS" timeout 4 bash -c 'exec 3<>"/dev/tcp/$0/$1" && head -1 <&3' "$1" "$2" \
			2>/dev/null | grep -q hello && echo open || echo cut
	fi
}
udp() {
	ip netns exec "$NS" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
try:
    s.sendto(b"ping", (sys.argv[1], int(sys.argv[2]))); s.recv(16); print("open")
except OSError: print("cut")' "$1" "$2"
}
in_set() { nftj "any(e == \"$1\" or (isinstance(e, dict) and e.get(\"elem\", {}).get(\"val\") == \"$1\") for o in j if \"set\" in o and o[\"set\"][\"name\"] == \"learned4_social\" for e in o[\"set\"].get(\"elem\", []))"; }

eq "the listed name resolves" "$(d www.instagram.test A | tail -1)" "$IG"
sleep 0.3
eq "its address is learned" "$(in_set $IG)" true
eq "outside a break it is open" "$(tcp $IG 8080) $(tcp $RES 443) $(tcp $DOT 853) $(udp $DOT 853)" \
	"open open open open"

# --- outside breaks: two registrable domains in no list make an address shared
d cdn.social.test A >/dev/null
d a.site-one.example A >/dev/null
sleep 0.3
eq "one unlisted domain: still in the set" "$(in_set $CDN)" true
OUT=$(smctl check $CDN)
expect_in "1 domain in no list (site-one.example) answered with it too" "check shows the witness"
d x.site-one.example A >/dev/null 2>&1
d b.site-two.example A >/dev/null
sleep 0.3
eq "a second registrable domain: out of the set" "$(in_set $CDN)" false
OUT=$(smctl check $CDN)
expect_in "is shared" "check says it is shared"
expect_in "(site-one.example, site-two.example)" "and names both domains"

# --- a break: resolver addresses and DNS over TLS / QUIC -----------------------
expect_rc 0 "pause" smctl pause 10m
eq "TCP 443 to the shipped resolver 1.1.1.1 is cut" "$(tcp $RES 443)" cut
eq "TCP 853 anywhere is cut" "$(tcp $DOT 853)" cut
eq "UDP 853 anywhere is cut" "$(udp $DOT 853)" cut
eq "nft: the resolvers set holds 1.1.1.1" \
	"$(nftj 'any("1.1.1.1" in json.dumps(o["set"].get("elem", [])) for o in j if "set" in o and o["set"]["name"] == "resolvers4")')" true
eq "nft: two port-853 rules in the block chain" \
	"$(nftj '[("853" in json.dumps(r["expr"])) for r in rules("block")].count(True)')" 2
expect_rc 0 "smctl check 1.1.1.1 during the break (blocked: 0)" smctl check $RES
expect_in "public resolver cloudflare-dns.com" "check names the resolver"
expect_in "bypass.list:" "and its line"
expect_in "it is blocked now" "and says it is blocked now"
expect_rc 0 "resume" smctl resume
eq "after the break all is open again" "$(tcp $RES 443) $(tcp $DOT 853) $(udp $DOT 853)" "open open open"

# --- a strict break: nothing in DNS takes the address out ----------------------
expect_rc 0 "strict pause" smctl pause 10m --strict
eq "the listed name is cut" "$(tcp $IG 8080)" cut
d alias.example A >/dev/null
d edge.cdn-net.example A >/dev/null
OUT=$(ip netns exec "$NS" dig +time=3 +tries=1 @$FWD 10.97.1.1.nip.io A)
expect_in "status: NXDOMAIN" "a wildcard-IP name is blocked by name during the break"
d other.example A >/dev/null
sleep 0.3
eq "after an alias, the CNAME target and another alias: still in the set" "$(in_set $IG)" true
eq "and still cut (reset)" "$(tcp $IG 8080)" cut
OUT=$(smctl check $IG)
expect_in "in the sets of list social" "check: the address is still in the sets"
expect_in "it is blocked now" "check: blocked now"

finish
