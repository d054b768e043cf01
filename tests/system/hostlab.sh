# A machine as the interception tests need it, sourced after lib.sh and
# dns_upstream.sh: the daemon's namespace NS is the machine; NET stands for
# the internet behind its uplink (the upstream dnsmasq on IPv4 and IPv6, and an
# HTTP server on every address of the listed name); CT is a container routed
# and masqueraded through NS as docker and podman set one up (veth pair,
# forwarding on, masquerade on the uplink, its default routes via NS).
#
#   lab_setup      skips without dig, dnsmasq or curl (exit 77); builds it
#                  (lab_up), with lab_down in the EXIT trap, and starts the
#                  daemon with the shipped `listen`, intercept on and
#                  UP_LISTED in list social
#   lab_up         build it and start the upstream; sets the LAB_* names below
#   lab_down       remove what lab_up made

# shellcheck shell=bash
# shellcheck disable=SC2034 # the LAB_* names are for the tests that source us

NET=smbtn-$$
CT=smbtc-$$
LAB_UP4=$UP_SUGGESTED_ADDR4 # the upstream, in NET
LAB_UP6=$UP_SUGGESTED_ADDR6
LAB_CT4=10.200.0.2 # the container, behind NS's smbc0 (10.200.0.1, fd00:200::1)
LAB_CT6=fd00:200::2
LAB_HOST_CT4=10.200.0.1
LAB_HOST_CT6=fd00:200::1
LAB_WEB=

lab_up() {
	ip netns add "$NET" && ip netns add "$CT" || return 1
	ip -n "$NET" link set lo up
	ip -n "$CT" link set lo up
	# The uplink: NS 10.99.0.1 / 2001:db8:99::1, NET .2 / ::2.
	ip link add smbn0 netns "$NS" type veth peer name smbn1 netns "$NET"
	ip -n "$NS" addr add 10.99.0.1/24 dev smbn0
	ip -n "$NS" addr add 2001:db8:99::1/64 dev smbn0 nodad
	ip -n "$NET" addr add 10.99.0.2/24 dev smbn1
	ip -n "$NET" addr add 2001:db8:99::2/64 dev smbn1 nodad
	ip -n "$NS" link set smbn0 up
	ip -n "$NET" link set smbn1 up
	ip -n "$NS" route add default via 10.99.0.2
	ip -n "$NS" -6 route add default via 2001:db8:99::2
	# The container's link.
	ip link add smbc0 netns "$NS" type veth peer name eth0 netns "$CT"
	ip -n "$NS" addr add "$LAB_HOST_CT4/24" dev smbc0
	ip -n "$NS" addr add "$LAB_HOST_CT6/64" dev smbc0 nodad
	ip -n "$CT" addr add "$LAB_CT4/24" dev eth0
	ip -n "$CT" addr add "$LAB_CT6/64" dev eth0 nodad
	ip -n "$NS" link set smbc0 up
	ip -n "$CT" link set eth0 up
	ip -n "$CT" route add default via "$LAB_HOST_CT4"
	ip -n "$CT" -6 route add default via "$LAB_HOST_CT6"
	ip netns exec "$NS" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	ip netns exec "$NS" nft -f - <<-'NFT' || return 1
		table inet smbt_masq {
			chain post {
				type nat hook postrouting priority srcnat; policy accept;
				oifname "smbn0" masquerade
			}
		}
	NFT
	# The listed name's addresses, served over HTTP in NET.
	ip -n "$NET" addr add "$UP_LISTED_A/32" dev lo
	ip -n "$NET" addr add "$UP_LISTED_AAAA/128" dev lo nodad
	ip netns exec "$NET" python3 -m http.server --bind :: 8080 >/dev/null 2>&1 &
	LAB_WEB=$!
	upstream_start "$NET" "$LAB_UP4" "$LAB_UP6" || return 1
	local i
	for i in $(seq 1 50); do
		ip netns exec "$NET" curl -s -o /dev/null -m 1 "http://$UP_LISTED_A:8080/" && return 0
		sleep 0.1
	done
	echo "lab_up: the HTTP server in $NET does not answer" >&2
	return 1
}

lab_down() {
	[ -n "$LAB_WEB" ] && kill "$LAB_WEB" 2>/dev/null
	upstream_stop
	ip netns delete "$CT" 2>/dev/null
	ip netns delete "$NET" 2>/dev/null
}

# in_ct / in_ns COMMAND...: run in the container / on the machine.
in_ct() { ip netns exec "$CT" "$@"; }
in_ns() { ip netns exec "$NS" "$@"; }

lab_setup() {
	export TZ=UTC
	command -v dig >/dev/null && command -v dnsmasq >/dev/null && command -v curl >/dev/null || {
		echo "skip: needs dig, dnsmasq and curl" >&2
		exit 77
	}
	trap 'lab_down; cleanup' EXIT
	lab_up || { fail "the test network"; finish; exit 1; }
	cat >"$CONF" <<-CONF
		[daemon]
		listen = 127.0.0.153:53
		upstream = $LAB_UP4
		intercept = yes

		[list social]
		domains = $UP_LISTED
	CONF
	start_daemon
}
