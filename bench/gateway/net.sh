#!/bin/bash
# The home network of the gateway benchmarks (sourced by run.sh and
# dns_lan.sh): a phone on a bridge br-lan of a router, routed and
# masqueraded to an internet namespace.
#
# bench_lan_up ROUTER PHONE INTERNET: the three namespaces, the router at
# 10.77.0.1 on br-lan (the phone's port smbbl0), the phone at 10.77.0.11
# (MAC 02:bb:00:00:00:01), the uplink smbbu0 at 10.99.0.1 and the internet
# at 10.99.0.2. The veths are made inside the namespaces, so that runs side
# by side do not clash on their names.
bench_lan_up() {
	local r=$1 p=$2 n=$3 ns
	for ns in "$r" "$p" "$n"; do ip netns add "$ns" && ip -n "$ns" link set lo up || return 1; done
	ip -n "$r" link add br-lan type bridge
	ip -n "$r" addr add 10.77.0.1/24 dev br-lan
	ip -n "$r" link set br-lan up
	ip link add smbbl0 netns "$r" type veth peer name eth0 netns "$p" || return 1
	ip -n "$p" link set eth0 address 02:bb:00:00:00:01
	ip -n "$r" link set smbbl0 master br-lan up
	ip -n "$p" addr add 10.77.0.11/24 dev eth0
	ip -n "$p" link set eth0 up
	ip -n "$p" route add default via 10.77.0.1
	ip link add smbbu0 netns "$r" type veth peer name eth0 netns "$n" || return 1
	ip -n "$r" addr add 10.99.0.1/24 dev smbbu0
	ip -n "$n" addr add 10.99.0.2/24 dev eth0
	ip -n "$r" link set smbbu0 up
	ip -n "$n" link set eth0 up
	ip -n "$r" route add default via 10.99.0.2
	ip netns exec "$r" sysctl -qw net.ipv4.ip_forward=1
	ip netns exec "$r" nft -f - <<-'NFT'
		table inet bench_masq {
			chain post {
				type nat hook postrouting priority srcnat; policy accept;
				oifname "smbbu0" masquerade
			}
		}
	NFT
}
