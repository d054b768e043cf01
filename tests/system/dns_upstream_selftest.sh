#!/bin/bash
# The test upstream itself (dns_upstream.sh): in a namespace of its own, dig asks
# dnsmasq for every record of the test zone over IPv4 and IPv6, shows the large
# RRset truncated over UDP without EDNS and whole over TCP, and checks that a
# second server, stopping one of them, the query counter and a server in the
# current namespace behave. All traffic stays inside the namespace.
HERE=$(cd "$(dirname "$0")" && pwd)
set -u
. "$HERE/assert.sh"
. "$HERE/dns_upstream.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "skip: needs root for network namespaces" >&2
	exit 77
fi
command -v dnsmasq >/dev/null || { echo "skip: dnsmasq not installed (dnsmasq-base)" >&2; exit 77; }
for t in ip dig python3; do
	command -v $t >/dev/null || { echo "FAIL: $t not installed" >&2; exit 1; }
done

NS=smbt-$$
cleanup() {
	[ "$FAILS" -ne 0 ] && [ -n "$UPSTREAM_DIR" ] && upstream_show_logs
	upstream_stop
	ip netns del $NS 2>/dev/null
}
trap cleanup EXIT
ip netns add $NS || { echo "skip: cannot create a network namespace" >&2; exit 77; }

A4=$UP_SUGGESTED_ADDR4
A6=$UP_SUGGESTED_ADDR6
check "upstream starts on $A4 and $A6" upstream_start $NS $A4 $A6
[ -n "$UPSTREAM_PID" ] || { fail "no server pid"; finish; exit 1; }
# The pid we track must be dnsmasq's own, or upstream_stop would miss it.
eq "tracked pid is dnsmasq" "$(cat /proc/$UPSTREAM_PID/comm)" dnsmasq
eq "tracked pid is the one dnsmasq reports" "$(cat "$UPSTREAM_DIR/$A4/pid")" "$UPSTREAM_PID"

# ask SERVER NAME TYPE [dig options]: the answer as dig +short prints it,
# sorted, on one line.
ask() {
	local server=$1 name=$2 type=$3
	shift 3
	ip netns exec $NS dig @"$server" +time=2 +tries=1 +short "$@" "$name" "$type" | sort | paste -sd' '
}

# full SERVER NAME TYPE [dig options]: dig's whole output.
full() {
	local server=$1 name=$2 type=$3
	shift 3
	ip netns exec $NS dig @"$server" +time=2 +tries=1 "$@" "$name" "$type"
}

for S in $A4 $A6; do
	eq "$S: A of $UP_BOTH" "$(ask $S $UP_BOTH A)" "$UP_BOTH_A"
	eq "$S: AAAA of $UP_BOTH" "$(ask $S $UP_BOTH AAAA)" "$UP_BOTH_AAAA"

	# The chain, hop by hop, in the order the answer section gives it.
	want=""
	prev=
	for n in $UP_CNAME_CHAIN; do
		[ -n "$prev" ] && want+="$prev CNAME $n. "
		prev=$n.
	done
	want+="$prev A $UP_CNAME_A"
	got=$(full $S $UP_CNAME A +noall +answer | awk '{print $1, $4, $5}' | paste -sd' ')
	eq "$S: CNAME chain of $UP_CNAME" "$got" "$want"
	got=$(full $S $UP_CNAME AAAA +noall +answer | awk '$4 == "CNAME" {n++} $4 == "AAAA" {a=$5} END {print n, a}')
	eq "$S: AAAA at the end of the chain" "$got" "3 $UP_CNAME_AAAA"

	eq "$S: MX" "$(ask $S $UP_MX MX)" "$UP_MX_PREF $UP_MX_HOST."
	eq "$S: A of the mail host" "$(ask $S $UP_MX_HOST A)" "$UP_MX_HOST_A"
	eq "$S: TXT" "$(ask $S $UP_TXT TXT)" "$UP_TXT_DIG"
	eq "$S: SRV" "$(ask $S $UP_SRV SRV)" "$UP_SRV_DIG"
	eq "$S: A of the SRV target" "$(ask $S $UP_SRV_TARGET A)" "$UP_SRV_TARGET_A"
	eq "$S: HTTPS with hints" "$(ask $S $UP_HTTPS HTTPS)" "$UP_HTTPS_DIG"
	eq "$S: HTTPS as TYPE65" "$(ask $S $UP_HTTPS TYPE65)" "$UP_HTTPS_DIG"
	eq "$S: A beside the HTTPS record" "$(ask $S $UP_HTTPS A)" "$UP_HTTPS_A"
	eq "$S: AAAA beside the HTTPS record" "$(ask $S $UP_HTTPS AAAA)" "$UP_HTTPS_AAAA"

	eq "$S: listed name A" "$(ask $S $UP_LISTED A)" "$UP_LISTED_A"
	eq "$S: listed name AAAA" "$(ask $S $UP_LISTED AAAA)" "$UP_LISTED_AAAA"
	eq "$S: listed name HTTPS" "$(ask $S $UP_LISTED HTTPS)" \
		"1 . alpn=\"h2,h3\" ipv4hint=$UP_LISTED_HINT4 ipv6hint=$UP_LISTED_HINT6"
	eq "$S: subdomain A" "$(ask $S $UP_LISTED_SUB A)" "$UP_LISTED_SUB_A"
	eq "$S: subdomain AAAA" "$(ask $S $UP_LISTED_SUB AAAA)" "$UP_LISTED_SUB_AAAA"
	eq "$S: lookalike A" "$(ask $S $UP_LOOKALIKE A)" "$UP_LOOKALIKE_A"
	eq "$S: allowed A" "$(ask $S $UP_ALLOWED A)" "$UP_ALLOWED_A"
	got=$(full $S $UP_LISTED_CNAME A +noall +answer | awk '{print $4, $5}' | paste -sd' ')
	eq "$S: listed name's chain out of the list" "$got" \
		"CNAME edge.$UP_ZONE. CNAME $UP_LISTED_CNAME_TARGET. A $UP_LISTED_CNAME_A"
	eq "$S: listed chain AAAA" "$(full $S $UP_LISTED_CNAME AAAA +short | tail -n 1)" \
		"$UP_LISTED_CNAME_AAAA"

	for n in $UP_SHARED_LISTED $UP_SHARED_UNLISTED; do
		eq "$S: shared A of $n" "$(ask $S $n A)" "$UP_SHARED_A"
		eq "$S: shared AAAA of $n" "$(ask $S $n AAAA)" "$UP_SHARED_AAAA"
	done

	# TTLs are what the library says, not dnsmasq's default of 0.
	eq "$S: TTL" "$(full $S $UP_BOTH A +noall +answer | awk '{print $2}')" "$UP_TTL"

	# Unknown names in the zone do not exist; other zones are refused
	# (the server has no upstream and must not look for one).
	contains "$S: unknown name" "$(full $S nosuch.$UP_ZONE A)" "status: NXDOMAIN"
	contains "$S: other zone" "$(full $S example.com A)" "status: REFUSED"
	# A type the name has not got: no data, no error.
	out=$(full $S $UP_BOTH MX)
	contains "$S: NODATA status" "$out" "status: NOERROR"
	contains "$S: NODATA answer" "$out" "ANSWER: 0,"

	# The large RRset: without EDNS a UDP reply cannot carry it and says so...
	out=$(full $S $UP_BIG A +noedns +notcp +ignore)
	contains "$S: big RRset over UDP without EDNS is truncated" "$out" " tc "
	n=$(awk '$4 == "A"' <<<"$out" | wc -l)
	check "$S: big RRset over UDP carries less than all ($n)" [ "$n" -lt "$UP_BIG_COUNT" ]
	check "$S: the reply fits 512 bytes" grep -Eq 'MSG SIZE +rcvd: ([0-4][0-9]{2}|50[0-9]|51[0-2])$' <<<"$out"
	# ... and over TCP it is whole.
	want=$(for i in $(seq 1 $UP_BIG_COUNT); do echo $UP_BIG_NET.$i; done | sort | paste -sd' ')
	out=$(full $S $UP_BIG A +noedns +tcp)
	n=$(awk '$4 == "A"' <<<"$out" | wc -l)
	eq "$S: big RRset over TCP" "$n" "$UP_BIG_COUNT"
	check "$S: no TC over TCP" bash -c '! grep -q "flags:.* tc" <<<"$1"' _ "$out"
	eq "$S: big RRset addresses over TCP" "$(ask $S $UP_BIG A +tcp)" "$want"
	# dig itself retries a truncated answer over TCP.
	eq "$S: big RRset after dig's own retry" "$(ask $S $UP_BIG A +noedns)" "$want"
	# With EDNS (dig's 1232 bytes) it fits UDP.
	out=$(full $S $UP_BIG A +notcp +ignore)
	check "$S: big RRset over UDP with EDNS has no TC" bash -c '! grep -q "flags:.* tc" <<<"$1"' _ "$out"
	eq "$S: big RRset over UDP with EDNS" "$(awk '$4 == "A"' <<<"$out" | wc -l)" "$UP_BIG_COUNT"
done

# The query counter: only what we asked since start (the ready probe uses
# its own name), per type. Per address above: A twice (answer, TTL), AAAA and
# MX once; HTTPS asked by name and as TYPE65.
eq "queries for $UP_BOTH" "$(upstream_queries $UP_BOTH)" 8
eq "A queries for $UP_BOTH" "$(upstream_queries $UP_BOTH A)" 4
eq "HTTPS queries for $UP_HTTPS" "$(upstream_queries $UP_HTTPS HTTPS)" 4
eq "no queries for an unasked name" "$(upstream_queries nothing.$UP_ZONE)" 0

# A second server for failover tests; a second start on a busy address fails.
B4=192.0.2.54
check "second upstream starts" upstream_start $NS $B4
expect_rc 1 "a second server on $A4 is refused" upstream_start $NS $A4
expect_in "running already" "the refusal says why"
eq "second upstream answers" "$(ask $B4 $UP_BOTH A)" "$UP_BOTH_A"
eq "the counter follows the last server" "$(upstream_queries $UP_BOTH A)" 1
eq "the first server's counter" "$(upstream_queries $UP_BOTH A $A4)" 4
P1=${UPSTREAM_PIDS[$A4]}
P2=${UPSTREAM_PIDS[$B4]}
upstream_stop $A4
check "stopped server's process is gone" bash -c "! kill -0 $P1 2>/dev/null"
out=$(full $A4 $UP_BOTH A +tries=1 +time=1)
contains "stopped server no longer answers" "$out" "no servers could be reached"
eq "the other server still answers" "$(ask $B4 $UP_BOTH A)" "$UP_BOTH_A"
check "upstream can start again on $A4" upstream_start $NS $A4 $A6
eq "restarted server answers on IPv6" "$(ask $A6 $UP_BOTH AAAA)" "$UP_BOTH_AAAA"

# "-" runs the server in the caller's own namespace, for tests that re-exec
# themselves under unshare -n; its pid is still ours to stop.
out=$(unshare -n bash -c '
	set -u
	. "$1/dns_upstream.sh"
	upstream_start - 192.0.2.99 2001:db8:53::99 || exit 1
	dig @2001:db8:53::99 +short +time=2 +tries=1 "$UP_BOTH" A
	pid=$UPSTREAM_PID
	upstream_stop
	kill -0 "$pid" 2>/dev/null && echo "still running"
	exit 0' _ "$HERE" 2>&1)
eq "a server in the current namespace" "$out" "$UP_BOTH_A"

D=$UPSTREAM_DIR
[ "$FAILS" -ne 0 ] && upstream_show_logs
upstream_stop
eq "every server stopped" "$(ip netns pids $NS | wc -l)" 0
check "the second server's process is gone" bash -c "! kill -0 $P2 2>/dev/null"
check "scratch directory removed" [ ! -e "$D" ]

finish
