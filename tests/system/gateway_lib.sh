#!/bin/bash
# The home network of the gateway tests (it sources lib.sh and
# dns_upstream.sh): two phones on a bridge br-lan in the router NS (each its
# own MAC, an IPv4 and two IPv6 addresses), and NET standing for the
# internet (the upstream dnsmasq, an HTTP server on the listed name's
# addresses). gateway_up builds it around a daemon started with conf "".
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/dns_upstream.sh"
export TZ=UTC
command -v dig >/dev/null && command -v dnsmasq >/dev/null && command -v curl >/dev/null || {
	echo "skip: needs dig, dnsmasq and curl" >&2
	exit 77
}

NET=smbgn-$$
P1=smbg1-$$
P2=smbg2-$$
UP4=$UP_SUGGESTED_ADDR4
UP6=$UP_SUGGESTED_ADDR6
MAC1=02:11:22:33:44:01
MAC2=02:11:22:33:44:02
R4=10.77.0.1
R6=fd00:77::1
WEB=
HOLD=

down() {
	[ -n "$WEB" ] && kill "$WEB" 2>/dev/null
	[ -n "$HOLD" ] && kill "$HOLD" 2>/dev/null
	upstream_stop
	for n in "$P1" "$P2" "$NET"; do ip netns delete "$n" 2>/dev/null; done
}
trap 'down; cleanup' EXIT

# The router's uplink to NET (masqueraded) and the internet's servers.
up_net() {
	ip netns add "$NET" && ip -n "$NET" link set lo up || return 1
	ip link add smbn0 netns "$NS" type veth peer name smbn1 netns "$NET"
	ip -n "$NS" addr add 10.99.0.1/24 dev smbn0
	ip -n "$NS" addr add 2001:db8:99::1/64 dev smbn0 nodad
	ip -n "$NET" addr add 10.99.0.2/24 dev smbn1
	ip -n "$NET" addr add 2001:db8:99::2/64 dev smbn1 nodad
	ip -n "$NS" link set smbn0 up
	ip -n "$NET" link set smbn1 up
	ip -n "$NS" route add default via 10.99.0.2
	ip -n "$NS" -6 route add default via 2001:db8:99::2
	ip netns exec "$NS" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	ip netns exec "$NS" nft -f - <<-'NFT' || return 1
		table inet smbt_masq {
			chain post {
				type nat hook postrouting priority srcnat; policy accept;
				oifname "smbn0" masquerade
			}
		}
	NFT
	ip -n "$NET" addr add "$UP_LISTED_A/32" dev lo
	ip -n "$NET" addr add "$UP_LISTED_AAAA/128" dev lo nodad
	ip netns exec "$NET" python3 -m http.server --bind :: 8080 >/dev/null 2>&1 &
	WEB=$!
	upstream_start "$NET" "$UP4" "$UP6" || return 1
	local i # the web server is up before any test counts on it
	for i in $(seq 1 50); do
		ip netns exec "$NET" curl -s -o /dev/null -m 1 "http://$UP_LISTED_A:8080/" && return 0
		sleep 0.1
	done
	return 1
}

# The bridge and the phones: phone N at 10.77.0.1N, fd00:77::1N and fd00:77::1:1N.
up_lan() {
	ip -n "$NS" link add br-lan type bridge
	ip -n "$NS" addr add "$R4/24" dev br-lan
	ip -n "$NS" addr add "$R6/64" dev br-lan nodad
	ip -n "$NS" link set br-lan up
	for i in 1 2; do
		local p mac
		p=$([ "$i" = 1 ] && echo "$P1" || echo "$P2")
		mac=$([ "$i" = 1 ] && echo "$MAC1" || echo "$MAC2")
		ip netns add "$p" && ip -n "$p" link set lo up
		ip link add "smbl$i" netns "$NS" type veth peer name eth0 netns "$p"
		ip -n "$p" link set eth0 address "$mac"
		ip -n "$NS" link set "smbl$i" master br-lan up
		ip -n "$p" addr add "10.77.0.1$i/24" dev eth0
		ip -n "$p" addr add "fd00:77::1$i/64" dev eth0 nodad
		ip -n "$p" link set eth0 up
		ip -n "$p" route add default via "$R4"
		ip -n "$p" -6 route add default via "$R6"
	done
	ip -n "$P2" addr add fd00:77::1:12/64 dev eth0 nodad
}

# conf BREAK-SECTION [swap]: the gateway config; with swap, phone 2's
# [device] section comes first (a reload that renumbers the devices).
conf() {
	local d1 d2
	d1=$(printf '[device phone1]\nmac = %s' "${MAC1^^}")
	d2=$(printf '[device phone2]\nmac = %s' "${MAC2//:/-}")
	[ "${2:-}" = swap ] && { local t=$d1; d1=$d2; d2=$t; }
	cat >"$CONF" <<-CONF
		[daemon]
		mode = gateway
		lan = br-lan
		listen = 127.0.0.153:53
		upstream = $UP4

		[list social]
		domains = $UP_LISTED

		$d1
		$d2
		$1
	CONF
}
in1() { ip netns exec "$P1" "$@"; }
in_ns() { ip netns exec "$NS" "$@"; }
in2() { ip netns exec "$P2" "$@"; }
dg() { local p=$1; shift; ip netns exec "$p" dig +time=3 +tries=1 "$@"; }


# The network, the daemon, then the LAN: a bridge that comes up after the
# daemon is picked up by name.
gateway_up() {
	up_net || { fail "the test network"; finish; exit 1; }
	conf ""
	start_daemon
	up_lan
}
