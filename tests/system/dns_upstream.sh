# A real upstream DNS server for the system tests: dnsmasq (Debian's
# dnsmasq-base) started inside a network namespace that the test created,
# serving the fixed test zone below and nothing else. Sourced; needs root, ip(8)
# and dnsmasq. The test owns the namespace; this file owns the servers.
#
#   upstream_start NS ADDR4 [ADDR6]  start a server on ADDR4 (and ADDR6) port 53
#                                    inside NS (a name from `ip netns add`, or
#                                    "-" for the namespace the test runs in, as
#                                    after nft_lib.sh's enter_netns); the
#                                    addresses are added to NS's lo unless NS
#                                    already has them. Returns once
#                                    it answers; may be called again for a second
#                                    server on other addresses (failover tests).
#   upstream_stop [ADDR4]            stop that server, or every one; with none
#                                    left the scratch directory goes too (kept
#                                    when KEEP is set).
#   upstream_log [ADDR4]             path of a server's log (last started one by
#                                    default); every query is logged.
#   upstream_queries NAME [TYPE] [ADDR4]
#                                    how many queries for NAME (of TYPE as dnsmasq
#                                    names it: A, AAAA, HTTPS, TXT, ...) that
#                                    server has seen (the last started one by
#                                    default). Only UP_READY is asked by us.
#
#   upstream_test [python]           for a forwarder test: skips (77) without dig
#                                    and dnsmasq (and dnspython with "python"),
#                                    starts one server at UP4 in $NS, sets FWD
#                                    (the forwarder's address) and the EXIT trap.
#
# Call upstream_start and upstream_stop from the test's own shell, not from a
# $(...) subshell: the pids are children of the shell that started them.
#   upstream_show_logs               print every server's log (for failures).
#
# Addresses: the server's own address is the caller's choice (suggested
# 192.0.2.53 and 2001:db8:53::53, see UP_SUGGESTED_*); the zone's data lives in
# 198.51.100.0/24 and 2001:db8:100::/64, the large RRset in 203.0.113.0/24, so
# the three never collide. Names outside the zone are REFUSED, unknown names
# inside it are NXDOMAIN. Every record has TTL UP_TTL.

# shellcheck shell=bash
# shellcheck disable=SC2034 # the UP_* names are for the tests that source us

UP_SUGGESTED_ADDR4=192.0.2.53
UP_SUGGESTED_ADDR6=2001:db8:53::53

UP_ZONE=smbt.test # .test is reserved for testing (RFC 6761)
UP_TTL=300

# Asked by upstream_start until the server answers; no test uses it otherwise.
UP_READY=ready.$UP_ZONE
UP_READY_A=198.51.100.2

# A name with both A and AAAA.
UP_BOTH=both.$UP_ZONE
UP_BOTH_A=198.51.100.10
UP_BOTH_AAAA=2001:db8:100::10

# A CNAME chain of three hops: cname1 -> cname2 -> cname3 -> target (A, AAAA).
UP_CNAME=cname1.$UP_ZONE
UP_CNAME_CHAIN="cname1.$UP_ZONE cname2.$UP_ZONE cname3.$UP_ZONE target.$UP_ZONE"
UP_CNAME_TARGET=target.$UP_ZONE
UP_CNAME_A=198.51.100.11
UP_CNAME_AAAA=2001:db8:100::11

# MX: mx.smbt.test MX 10 mail.smbt.test (which has an A record).
UP_MX=mx.$UP_ZONE
UP_MX_PREF=10
UP_MX_HOST=mail.$UP_ZONE
UP_MX_HOST_A=198.51.100.25

# TXT with two strings, as dig +short prints them.
UP_TXT=txt.$UP_ZONE
UP_TXT_DIG='"v=spf1 -all" "smbreak test zone"'

# SRV: priority 10, weight 20, port 5222, target xmpp.smbt.test (A record).
UP_SRV=_xmpp-client._tcp.$UP_ZONE
UP_SRV_TARGET=xmpp.$UP_ZONE
UP_SRV_DIG="10 20 5222 xmpp.$UP_ZONE."
UP_SRV_TARGET_A=198.51.100.26

# HTTPS (type 65): svc.smbt.test has A/AAAA and an HTTPS record whose address
# hints differ from them, so a test can tell learning from hints apart.
UP_HTTPS=svc.$UP_ZONE
UP_HTTPS_A=198.51.100.12
UP_HTTPS_AAAA=2001:db8:100::12
UP_HTTPS_HINT4=198.51.100.13
UP_HTTPS_HINT6=2001:db8:100::13
UP_HTTPS_DIG="1 . alpn=\"h2,h3\" ipv4hint=$UP_HTTPS_HINT4 ipv6hint=$UP_HTTPS_HINT6"

# A large RRset: UP_BIG_COUNT A records, 203.0.113.1 .. 203.0.113.40. The answer
# is about 670 bytes, so a client without EDNS gets TC over UDP and needs TCP.
UP_BIG=big.$UP_ZONE
UP_BIG_COUNT=40
UP_BIG_NET=203.0.113

# Names for the blocking and learning tests: a test puts UP_LISTED in a list
# (and UP_ALLOWED in its allow), then UP_LISTED_SUB is a subdomain of a listed
# name, UP_LOOKALIKE only looks like one. UP_LISTED has an HTTPS record with
# hints; UP_LISTED_CNAME is a listed name that CNAMEs out of the list.
UP_LISTED=social.$UP_ZONE
UP_LISTED_A=198.51.100.30
UP_LISTED_AAAA=2001:db8:100::30
UP_LISTED_HINT4=198.51.100.34
UP_LISTED_HINT6=2001:db8:100::34
UP_LISTED_SUB=www.social.$UP_ZONE
UP_LISTED_SUB_A=198.51.100.31
UP_LISTED_SUB_AAAA=2001:db8:100::31
UP_LOOKALIKE=notsocial.$UP_ZONE
UP_LOOKALIKE_A=198.51.100.32
UP_ALLOWED=allowed.social.$UP_ZONE
UP_ALLOWED_A=198.51.100.33
UP_LISTED_CNAME=video.social.$UP_ZONE # -> edge.smbt.test -> edge-final.smbt.test
UP_LISTED_CNAME_TARGET=edge-final.$UP_ZONE
UP_LISTED_CNAME_A=198.51.100.50
UP_LISTED_CNAME_AAAA=2001:db8:100::50

# One address for two names: one under the listed name, one in no list.
UP_SHARED_LISTED=cdn.social.$UP_ZONE
UP_SHARED_UNLISTED=cdn-shared.$UP_ZONE
UP_SHARED_A=198.51.100.40
UP_SHARED_AAAA=2001:db8:100::40
UP_SHARED_OTHER=cdn.other-site.example # the same address, a second registrable domain

# CNAME cloaking: names in no list whose chains end at listed names, one in
# one hop, one through a name in no list (cloak2 -> cloak-mid -> www.social).
UP_CLOAK=cloak.$UP_ZONE # -> social.smbt.test
UP_CLOAK2=cloak2.$UP_ZONE
UP_CLOAK2_CHAIN="$UP_CLOAK2 -> cloak-mid.$UP_ZONE -> $UP_LISTED_SUB"

# Malformed HTTPS records (RFC 9460 2.2), for relaying what cannot be parsed:
# keys out of order (ipv6hint before ipv4hint), and a 5-byte ipv4hint.
UP_BAD_ORDER=badorder.$UP_ZONE
UP_BAD_ORDER_RDATA=0001000006001020010db8010000000000000000000061000400040a000001
UP_BAD_HINT=badhint.$UP_ZONE
UP_BAD_HINT_RDATA=00010000040005c63364010a

# A huge RRset: UP_HUGE_COUNT TXT records of 200 bytes, about 8.5 KB, more than
# dnsmasq sends over UDP (4096 bytes, its EDNS limit): TC even to a client
# offering 65,535 bytes, the whole over TCP.
UP_HUGE=huge.$UP_ZONE
UP_HUGE_COUNT=40

UPSTREAM_DIR=
UPSTREAM_PID= # of the last server started
declare -A UPSTREAM_PIDS=() # ADDR4 -> pid
UPSTREAM_LAST=

# _up_hex_addr4 A.B.C.D / _up_hex_addr6 ADDR: RDATA bytes in hex.
_up_hex_addr4() {
	local IFS=.
	# shellcheck disable=SC2086
	printf '%02x%02x%02x%02x' $1
}

_up_hex_addr6() {
	python3 -c 'import ipaddress, sys; print(ipaddress.IPv6Address(sys.argv[1]).packed.hex())' "$1"
}

# _up_https_rdata HINT4 HINT6: SvcPriority 1, target ".", alpn h2,h3, ipv4hint,
# ipv6hint (RFC 9460 section 2.2, keys in increasing order).
_up_https_rdata() {
	printf '0001%s' 00                                # priority 1, target root
	printf '0001%04x%s' 6 026832026833                 # alpn: "h2", "h3"
	printf '0004%04x%s' 4 "$(_up_hex_addr4 "$1")"      # ipv4hint
	printf '0006%04x%s' 16 "$(_up_hex_addr6 "$2")"     # ipv6hint
}

# The zone as dnsmasq options.
_up_zone_args() {
	local i
	UP_ARGS=(
		"--local=/$UP_ZONE/" "--local-ttl=$UP_TTL"
		"--host-record=$UP_READY,$UP_READY_A"
		"--host-record=$UP_BOTH,$UP_BOTH_A,$UP_BOTH_AAAA"
		"--host-record=$UP_CNAME_TARGET,$UP_CNAME_A,$UP_CNAME_AAAA"
		"--cname=cname1.$UP_ZONE,cname2.$UP_ZONE"
		"--cname=cname2.$UP_ZONE,cname3.$UP_ZONE"
		"--cname=cname3.$UP_ZONE,$UP_CNAME_TARGET"
		"--mx-host=$UP_MX,$UP_MX_HOST,$UP_MX_PREF"
		"--host-record=$UP_MX_HOST,$UP_MX_HOST_A"
		"--txt-record=$UP_TXT,v=spf1 -all,smbreak test zone"
		"--srv-host=$UP_SRV,$UP_SRV_TARGET,5222,10,20"
		"--host-record=$UP_SRV_TARGET,$UP_SRV_TARGET_A"
		"--host-record=$UP_HTTPS,$UP_HTTPS_A,$UP_HTTPS_AAAA"
		"--dns-rr=$UP_HTTPS,65,$(_up_https_rdata "$UP_HTTPS_HINT4" "$UP_HTTPS_HINT6")"
		"--host-record=$UP_LISTED,$UP_LISTED_A,$UP_LISTED_AAAA"
		"--dns-rr=$UP_LISTED,65,$(_up_https_rdata "$UP_LISTED_HINT4" "$UP_LISTED_HINT6")"
		"--host-record=$UP_LISTED_SUB,$UP_LISTED_SUB_A,$UP_LISTED_SUB_AAAA"
		"--host-record=$UP_LOOKALIKE,$UP_LOOKALIKE_A"
		"--host-record=$UP_ALLOWED,$UP_ALLOWED_A"
		"--cname=$UP_LISTED_CNAME,edge.$UP_ZONE"
		"--cname=edge.$UP_ZONE,$UP_LISTED_CNAME_TARGET"
		"--host-record=$UP_LISTED_CNAME_TARGET,$UP_LISTED_CNAME_A,$UP_LISTED_CNAME_AAAA"
		"--host-record=$UP_SHARED_LISTED,$UP_SHARED_A,$UP_SHARED_AAAA"
		"--host-record=$UP_SHARED_UNLISTED,$UP_SHARED_A,$UP_SHARED_AAAA"
		"--dns-rr=$UP_BAD_ORDER,65,$UP_BAD_ORDER_RDATA"
		"--dns-rr=$UP_BAD_HINT,65,$UP_BAD_HINT_RDATA"
		"--cname=$UP_CLOAK,$UP_LISTED"
		"--cname=$UP_CLOAK2,cloak-mid.$UP_ZONE"
		"--cname=cloak-mid.$UP_ZONE,$UP_LISTED_SUB"
		"--host-record=$UP_SHARED_OTHER,$UP_SHARED_A,$UP_SHARED_AAAA"
	)
	for i in $(seq 1 "$UP_BIG_COUNT"); do
		UP_ARGS+=("--host-record=$UP_BIG,$UP_BIG_NET.$i")
	done
	for i in $(seq 1 "$UP_HUGE_COUNT"); do
		UP_ARGS+=("--txt-record=$UP_HUGE,$(printf 'r%03d%0196d' "$i" 0)")
	done
}

# _up_in NS COMMAND...: runs COMMAND in NS ("-": right here).
_up_in() {
	local ns=$1
	shift
	if [ "$ns" = - ]; then
		"$@"
	else
		ip netns exec "$ns" "$@"
	fi
}

# _up_ensure_addr NS ADDR: puts ADDR on NS's lo unless NS has it already (a
# test may have put it on a veth to reach the server from another namespace).
_up_ensure_addr() {
	local ns=$1 a=$2
	_up_in "$ns" ip link set lo up || return 1
	if _up_in "$ns" ip -o addr show | awk '{print $4}' | grep -qx "$a/[0-9]*"; then
		return 0
	fi
	case $a in
	*:*) _up_in "$ns" ip addr add "$a/128" dev lo nodad ;;
	*) _up_in "$ns" ip addr add "$a/32" dev lo ;;
	esac
}

_up_ask() {
	_up_in "$1" dig @"$2" +short +time=1 +tries=1 "$UP_READY" A 2>/dev/null
}

upstream_start() {
	local ns=${1:?upstream_start NS ADDR4 [ADDR6]} a4=${2:?upstream_start NS ADDR4 [ADDR6]}
	local a6=${3:-} dir listen pid i
	command -v dnsmasq >/dev/null || { echo "upstream_start: dnsmasq not installed" >&2; return 1; }
	if [ -n "${UPSTREAM_PIDS[$a4]:-}" ]; then
		echo "upstream_start: a server on $a4 is running already" >&2
		return 1
	fi
	[ -n "$UPSTREAM_DIR" ] || UPSTREAM_DIR=$(mktemp -d /tmp/smbup.XXXXXX) || return 1
	dir=$UPSTREAM_DIR/$a4
	mkdir -p "$dir"
	: >"$dir/log"
	_up_ensure_addr "$ns" "$a4" || return 1
	listen=(--listen-address="$a4")
	if [ -n "$a6" ]; then
		_up_ensure_addr "$ns" "$a6" || return 1
		listen+=(--listen-address="$a6")
	fi
	_up_zone_args
	# -C /dev/null: no /etc/dnsmasq.conf; no hosts, no resolv.conf, no
	# upstream of its own; bound to exactly our addresses; stays root so it
	# needs no dnsmasq user; logs every query to its own file. Started as a
	# simple command so that $! is dnsmasq itself (ip netns exec execs it),
	# not a subshell whose death would leave the server running.
	local in=()
	[ "$ns" = - ] || in=(ip netns exec "$ns")
	"${in[@]}" dnsmasq --keep-in-foreground -C /dev/null --no-hosts --no-resolv \
		--no-poll --bind-interfaces "${listen[@]}" --port=53 --user=root --group=root \
		--pid-file="$dir/pid" --log-facility="$dir/log" --log-queries=extra \
		"${UP_ARGS[@]}" >>"$dir/log" 2>&1 &
	pid=$!
	UPSTREAM_PIDS[$a4]=$pid
	UPSTREAM_PID=$pid
	UPSTREAM_LAST=$a4
	for i in $(seq 1 100); do
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "upstream_start: dnsmasq on $a4 exited:" >&2
			cat "$dir/log" >&2
			unset "UPSTREAM_PIDS[$a4]"
			return 1
		fi
		if [ "$(_up_ask "$ns" "$a4")" = "$UP_READY_A" ]; then
			if [ -z "$a6" ] || [ "$(_up_ask "$ns" "$a6")" = "$UP_READY_A" ]; then
				return 0
			fi
		fi
		sleep 0.05
	done
	echo "upstream_start: dnsmasq on $a4 does not answer" >&2
	upstream_stop "$a4"
	return 1
}

upstream_test() {
	local need="dig and dnsmasq"
	[ "${1:-}" = python ] && need="dig, dnsmasq and python3-dnspython"
	if ! command -v dig >/dev/null || ! command -v dnsmasq >/dev/null ||
		{ [ "${1:-}" = python ] && ! /usr/bin/python3 -c 'import dns.message' 2>/dev/null; }; then
		echo "skip: needs $need" >&2
		exit 77
	fi
	UP4=$UP_SUGGESTED_ADDR4
	FWD=127.0.0.153
	trap 'upstream_stop; cleanup' EXIT
	upstream_start "$NS" "$UP4" || exit 1
}

upstream_stop() {
	local a pid
	[ $# -gt 0 ] || set -- "${!UPSTREAM_PIDS[@]}"
	for a in "$@"; do
		pid=${UPSTREAM_PIDS[$a]:-}
		[ -n "$pid" ] || continue
		kill -TERM "$pid" 2>/dev/null
		# dnsmasq serves TCP from forked children; they exit with it, but
		# wait for the parent so the port is free when we return.
		wait "$pid" 2>/dev/null
		if kill -0 "$pid" 2>/dev/null; then
			# not our child (started from a subshell): no wait, so poll
			for _ in $(seq 1 40); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.05
			done
			kill -KILL "$pid" 2>/dev/null
		fi
		unset "UPSTREAM_PIDS[$a]"
		[ "$UPSTREAM_PID" = "$pid" ] && UPSTREAM_PID=
	done
	if [ ${#UPSTREAM_PIDS[@]} -eq 0 ] && [ -n "$UPSTREAM_DIR" ] && [ -z "${KEEP:-}" ]; then
		rm -rf "$UPSTREAM_DIR"
		UPSTREAM_DIR=
	fi
	return 0
}

upstream_log() {
	echo "$UPSTREAM_DIR/${1:-$UPSTREAM_LAST}/log"
}

upstream_queries() {
	local name=${1:?upstream_queries NAME [TYPE] [ADDR4]} type=${2:-} log
	log=$(upstream_log "${3:-}")
	# --log-queries=extra lines: "N addr/port query[AAAA] name from addr".
	if [ -n "$type" ]; then
		grep -cF " query[$type] $name from " "$log"
	else
		grep -cE " query\[[^]]+\] ${name//./\\.} from " "$log"
	fi
}

upstream_show_logs() {
	local f
	[ -n "$UPSTREAM_DIR" ] || return 0
	for f in "$UPSTREAM_DIR"/*/log; do
		[ -e "$f" ] || continue
		echo "--- upstream log $f ---"
		cat "$f"
	done
}
