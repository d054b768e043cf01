#!/bin/bash
# The DNS forwarder benchmark (BENCHMARKS.md, section "DNS forwarder"): smbreakd
# side by side with dnsmasq, dnsdist and unbound doing the same job (a
# filtering forwarder with the same 1M names: address=/name/ entries, a
# SuffixMatchNode answering NXDOMAIN, always_nxdomain local-zones; misses
# forwarded to the same upstream), caches off, then each one's cache on for
# the cache-hit rows, with dnsperf as the load client, in a network namespace
# of its own (re-executes itself under unshare -n; every packet stays on its
# loopback).
#
#   bench/dns/run.sh BUILD_DIR [--rounds N] [--secs S] [--n LIST] [--quick] [--keep]
#
# BUILD_DIR holds daemon/smbreakd, ctl/smctl and bench/dns/bench_dns_{gen,lat,floor}
# (SMBREAKD=... SMCTL=... in the environment override the first two). Layout on
# a 2-core machine: the daemon under test on CPU 0 (alone), the load client and
# the upstream on CPU 1. Needs root, dnsperf, dnsmasq (dnsmasq-base), dnsdist,
# unbound, dig, taskset, python3. --quick: a 20,000-name list, 1 round of 2 s
# (a smoke run).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)

if [ -z "${DNSB_INNER:-}" ]; then
	for c in dnsperf dnsmasq dnsdist unbound dig taskset python3 unshare; do
		command -v "$c" >/dev/null || {
			echo "skip: needs $c (apt-get install dnsperf dnsmasq-base dnsdist unbound dnsutils util-linux python3)" >&2
			exit 77
		}
	done
	if [ "$(id -u)" -ne 0 ] || ! unshare -n true 2>/dev/null; then
		echo "skip: needs root and network namespaces" >&2
		exit 77
	fi
	DNSB_INNER=1 exec unshare -n "$0" "$@"
fi

BUILD=${1:?usage: run.sh BUILD_DIR [--rounds N] [--secs S] [--n LIST] [--quick] [--keep]}
shift
BUILD=$(cd "$BUILD" && pwd)
ROUNDS=3 SECS=10 N=1000000 QUICK='' KEEP=''
while [ $# -gt 0 ]; do
	case $1 in
	--rounds) ROUNDS=$2; shift ;;
	--secs) SECS=$2; shift ;;
	--n) N=$2; shift ;;
	--quick) QUICK=1 ROUNDS=1 SECS=2 N=20000 ;;
	--keep) KEEP=1 ;;
	*) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
SMBREAKD=${SMBREAKD:-$BUILD/daemon/smbreakd}
SMCTL=${SMCTL:-$BUILD/ctl/smctl}
GEN=$BUILD/bench/dns/bench_dns_gen
LAT=$BUILD/bench/dns/bench_dns_lat
FLOOR=$BUILD/bench/dns/bench_dns_floor
for f in "$SMBREAKD" "$SMCTL" "$GEN" "$LAT" "$FLOOR"; do
	[ -x "$f" ] || { echo "run.sh: $f not built" >&2; exit 1; }
done

DCPU=0 # the daemon under test
CCPU=1 # dnsperf, the latency client and the upstream
[ "$(nproc)" -ge 2 ] || DCPU=0 CCPU=0

UP=127.0.0.2    # the upstream
SMB=127.0.0.153 # smbreakd
DM=127.0.0.3    # dnsmasq with the 1M address= list
DM0=127.0.0.4   # dnsmasq with no list
DD=127.0.0.5    # dnsdist with the list, no packet cache
DDC=127.0.0.6   # dnsdist with the list and its packet cache
UB=127.0.0.7    # unbound with the list, cache off (cache-max-ttl: 0)
UBC=127.0.0.8   # unbound with the list and its cache
DMC=127.0.0.9   # dnsmasq with the list and its cache
FLE=127.0.0.10  # the floor: answers every query itself, no work (bench_dns_floor echo)
FLR=127.0.0.11  # the floor of a forwarder: relays, no work (bench_dns_floor relay)
T=$(mktemp -d /tmp/bench_dns.XXXXXX)
RES=$T/results.tsv # kind, who, round, value...
PIDS=()
SPID=

cleanup() {
	local p
	[ -n "$SPID" ] && kill -TERM "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	wait 2>/dev/null
	if [ -n "$KEEP" ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
ip link set lo up

say() { echo "# $*" >&2; }

# ---- inputs ------------------------------------------------------------------
say "generating the $N-name list and the query files in $T"
Q=1000000
[ -n "$QUICK" ] && Q=50000
"$GEN" "$T" --n "$N" --q "$Q" >&2 || exit 1
LISTED_ONE=$(awk 'NR==1{print $1}' "$T/q-blocked.txt")
FWD_ONE=$(awk 'NR==1{print $1}' "$T/q-forward.txt")

# since T0: seconds elapsed since T0 (date +%s.%N).
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN{printf "%.3f", b - a}'; }
# wait_answer ADDR NAME SECONDS: polls until ADDR answers NAME at all.
wait_answer() {
	for _ in $(seq 1 $(($3 * 20))); do
		dig @"$1" +time=1 +tries=1 "$2" A 2>/dev/null | grep -q "status: " && return 0
		sleep 0.05
	done
	echo "run.sh: $1 does not answer" >&2
	exit 1
}

# ---- the upstream: answers every A query itself, from its config -------------
# address=/#/ answers are built from the config, never cached nor forwarded, so
# --cache-size=0 only keeps its memory flat; no logging. TTL 1h, so that the
# caches of the cache rows keep them.
taskset -c "$CCPU" dnsmasq --keep-in-foreground -C /dev/null --no-hosts --no-resolv --no-poll \
	--bind-interfaces --listen-address=$UP --port=53 --user=root --group=root --pid-file= \
	--address='/#/198.51.100.1' --cache-size=0 --local-ttl=3600 2>"$T/upstream.log" &
PIDS+=($!)
wait_answer $UP "$FWD_ONE" 5

# ---- the peers: dnsmasq forwarding to the same upstream, no cache ------------
# No cache on any side but in the cache rows: the query files repeat from
# their start in every run, which a cache would answer without the upstream.
dm_start() { # ADDR [conf-file] [cache-size]
	local extra=()
	[ -n "${2:-}" ] && extra=(--conf-file="$2")
	taskset -c "$DCPU" dnsmasq --keep-in-foreground -C /dev/null "${extra[@]}" --no-hosts \
		--no-resolv --no-poll --bind-interfaces --listen-address="$1" --port=53 \
		--user=root --group=root --pid-file= --server=$UP --cache-size="${3:-0}" \
		2>>"$T/dnsmasq.log" &
	PIDS+=($!)
}
t0=$(date +%s.%N)
dm_start $DM "$T/dnsmasq-list.conf"
DM_PID=$!
wait_answer $DM "$LISTED_ONE" 120
DM_READY=$(since "$t0")
dm_start $DM0
DM0_PID=$!
wait_answer $DM0 "$FWD_ONE" 5
dm_start $DMC "$T/dnsmasq-list.conf" 10000
DMC_PID=$!

# dnsdist and unbound: the same names, from the dnsmasq list.
sed -e 's|^address=/||' -e 's|/$||' "$T/dnsmasq-list.conf" >"$T/names.txt"
dd_start() { # ADDR NAME [cache]
	local cache=''
	[ -n "${3:-}" ] && cache='getPool(""):setCache(newPacketCache(10000, {maxTTL=86400, minTTL=0, numberOfShards=1}))'
	cat >"$T/$2.conf" <<EOF
setLocal("$1:53")
setSecurityPollSuffix("")
newServer({address="$UP:53", checkInterval=60})
local smn = newSuffixMatchNode()
for line in io.lines("$T/names.txt") do smn:add(line) end
addAction(SuffixMatchNodeRule(smn, true), RCodeAction(DNSRCode.NXDOMAIN))
$cache
EOF
	taskset -c "$DCPU" dnsdist --supervised --disable-syslog -C "$T/$2.conf" >>"$T/dnsdist.log" 2>&1 &
	PIDS+=($!)
}
awk '{print "local-zone: \"" $0 ".\" always_nxdomain"}' "$T/names.txt" >"$T/unbound-zones.conf"
ub_start() { # ADDR NAME [cache]
	local ttl='cache-max-ttl: 0'
	[ -n "${3:-}" ] && ttl=''
	cat >"$T/$2.conf" <<EOF
server:
  interface: $1
  port: 53
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "$T"
  pidfile: ""
  use-syslog: no
  logfile: ""
  verbosity: 0
  num-threads: 1
  do-ip6: no
  access-control: 127.0.0.0/8 allow
  module-config: "iterator"
  do-not-query-localhost: no
  qname-minimisation: no
  $ttl
  include: "$T/unbound-zones.conf"
forward-zone:
  name: "."
  forward-addr: $UP
EOF
	taskset -c "$DCPU" unbound -d -c "$T/$2.conf" >>"$T/unbound.log" 2>&1 &
	PIDS+=($!)
}
# peer_up START ADDR NAME: one peer started alone and timed to its first
# answer (PEER_PID, PEER_READY seconds).
peer_up() {
	local t0
	t0=$(date +%s.%N)
	"$1" "$2" "$3"
	PEER_PID=$!
	wait_answer "$2" "$LISTED_ONE" 300
	PEER_READY=$(since "$t0")
}
peer_up dd_start $DD dnsdist
DD_PID=$PEER_PID DD_READY=$PEER_READY
peer_up ub_start $UB unbound
UB_PID=$PEER_PID UB_READY=$PEER_READY
dd_start $DDC dnsdist-cache 1
DDC_PID=$!
ub_start $UBC unbound-cache 1
UBC_PID=$!
for a in $DMC $DDC $UBC; do
	wait_answer $a "$LISTED_ONE" 300
done
# The floor: what the kernel's UDP sockets cost here with no work in user
# space, read and answered the way smbreakd does (recvmmsg/sendmmsg batches),
# so that each daemon's figure can be read as the floor plus its own work.
taskset -c "$DCPU" "$FLOOR" echo $FLE &
FLE_PID=$!
PIDS+=($!)
taskset -c "$DCPU" "$FLOOR" relay $FLR $UP &
FLR_PID=$!
PIDS+=($!)
wait_answer $FLE "$LISTED_ONE" 5
wait_answer $FLR "$FWD_ONE" 5

# ---- smbreakd: the 1M list, or a one-name list ("no list"; a pause needs one) -
mkdir -p "$T/state"
conf() { # LIST-SOURCE-LINE
	cat >"$T/smbreak.conf" <<EOF
[daemon]
listen = $SMB:53
upstream = $UP
intercept = no
blocked_answer = nxdomain
blocked_ttl = 10s
cache = ${CACHE:-0}

[list big]
$1
EOF
}
BIGLIST="files = $T/list.txt"
NOLIST="domains = $LISTED_ONE"
conf "$BIGLIST"
t0=$(date +%s.%N)
taskset -c "$DCPU" "$SMBREAKD" -f "$T/smbreak.conf" -s "$T/smbreak.sock" --state-dir "$T/state" \
	--data-dir "$SRC/conf" -d 2>"$T/smbreakd.log" &
SPID=$!
for _ in $(seq 1 400); do
	"$SMCTL" -s "$T/smbreak.sock" status >/dev/null 2>&1 && break
	kill -0 "$SPID" 2>/dev/null || { cat "$T/smbreakd.log" >&2; exit 1; }
	sleep 0.01
done
wait_answer $SMB "$FWD_ONE" 5
SMB_READY=$(since "$t0")
smctl() { "$SMCTL" -s "$T/smbreak.sock" "$@"; }
smctl pause 1h >&2 || exit 1
dig @$SMB "$LISTED_ONE" A | grep -q "status: NXDOMAIN" || { echo "run.sh: not blocking" >&2; exit 1; }

rss() { awk '/^VmRSS/{print $2}' "/proc/$1/status"; }
hwm() { awk '/^VmHWM/{print $2}' "/proc/$1/status"; }
. "$HERE/perf.sh" # ticks, HZ, cpustat, busy
# UDP datagrams dropped for a full receive buffer, in this namespace.
rcvbuf_errors() { awk '/^Udp:/{getline; print $6}' /proc/net/snmp; }
echo -e "rss\tsmbreakd\t0\t$(rss $SPID)" >>"$RES"
echo -e "rss\tdnsmasq\t0\t$(rss $DM_PID)" >>"$RES"
echo -e "rss\tdnsmasq-nolist\t0\t$(rss $DM0_PID)" >>"$RES"
echo -e "rss\tdnsdist\t0\t$(rss $DD_PID)" >>"$RES"
echo -e "rss\tunbound\t0\t$(rss $UB_PID)" >>"$RES"
echo -e "ready\tsmbreakd\t0\t$SMB_READY" >>"$RES"
echo -e "ready\tdnsmasq\t0\t$DM_READY" >>"$RES"
echo -e "ready\tdnsdist\t0\t$DD_READY" >>"$RES"
echo -e "ready\tunbound\t0\t$UB_READY" >>"$RES"

# switch LIST-SOURCE-LINE: the smbreakd config reloaded with another list.
switch() {
	conf "$1"
	smctl reload >/dev/null || { echo "run.sh: reload failed" >&2; exit 1; }
	dig @$SMB "$LISTED_ONE" A | grep -q "status: NXDOMAIN" || { echo "run.sh: not blocking after reload" >&2; exit 1; }
}

# run_perf KIND WHO ADDR PID QUERYFILE [dnsperf args]: one dnsperf run on CCPU;
# records q/s, completed, lost, and the daemon's CPU microseconds per query.
run_perf() {
	local kind=$1 who=$2 addr=$3 pid=$4 qf=$5 r=$6 out a b
	shift 6
	a=$(ticks "$pid")
	local c0 c1 u0 u1
	c0=$(cpustat)
	u0=$(rcvbuf_errors)
	out=$(taskset -c "$CCPU" dnsperf -s "$addr" -d "$qf" -l "$SECS" -q 100 -t 2 "$@" 2>&1)
	b=$(ticks "$pid")
	c1=$(cpustat)
	u1=$(rcvbuf_errors)
	local qps ndone lost
	qps=$(awk '/Queries per second/{print $4}' <<<"$out")
	ndone=$(awk '/Queries completed/{print $3}' <<<"$out")
	lost=$(awk '/Queries lost/{print $3}' <<<"$out")
	local us
	us=$(awk -v t=$((b - a)) -v hz="$HZ" -v n="$ndone" 'BEGIN{printf "%.2f", t * 1e6 / hz / n}')
	echo -e "$kind\t$who\t$r\t$qps\t$ndone\t$lost\t$us" >>"$RES"
	say "$kind $who round $r: $qps q/s, $lost lost, $us us CPU/query, CPU busy $(busy "$c0" "$c1"), $((u1 - u0)) UDP receive-buffer drops ($(grep -o 'NOERROR [0-9]*\|NXDOMAIN [0-9]*\|SERVFAIL [0-9]*\|REFUSED [0-9]*' <<<"$out" | tr '\n' ' '))"
}

# ---- 1-3: throughput and CPU, alternating the daemons, ROUNDS rounds ----------
for r in $(seq 1 "$ROUNDS"); do
	run_perf blocked smbreakd $SMB $SPID "$T/q-blocked.txt" "$r"
	run_perf blocked dnsmasq $DM "$DM_PID" "$T/q-blocked.txt" "$r"
	run_perf blocked dnsdist $DD "$DD_PID" "$T/q-blocked.txt" "$r"
	run_perf blocked unbound $UB "$UB_PID" "$T/q-blocked.txt" "$r"
	run_perf blocked floor $FLE "$FLE_PID" "$T/q-blocked.txt" "$r"
	run_perf forward smbreakd $SMB $SPID "$T/q-forward.txt" "$r"
	switch "$NOLIST"
	run_perf forward smbreakd-nolist $SMB $SPID "$T/q-forward.txt" "$r"
	switch "$BIGLIST"
	run_perf forward dnsmasq-nolist $DM0 "$DM0_PID" "$T/q-forward.txt" "$r"
	run_perf forward dnsmasq $DM "$DM_PID" "$T/q-forward.txt" "$r"
	run_perf forward dnsdist $DD "$DD_PID" "$T/q-forward.txt" "$r"
	run_perf forward unbound $UB "$UB_PID" "$T/q-forward.txt" "$r"
	run_perf forward floor $FLR "$FLR_PID" "$T/q-forward.txt" "$r"
done
# The same blocked names with EDNS (the EDE is only sent to EDNS clients).
run_perf blocked-edns smbreakd $SMB $SPID "$T/q-blocked.txt" 1 -e
run_perf blocked-edns dnsmasq $DM "$DM_PID" "$T/q-blocked.txt" 1 -e

# ---- 4: latency at 1,000 q/s, forwarded names, the upstream asked directly too --
LSECS=$SECS
# Three times: with the daemon on its own CPU (each query then crosses CPUs
# four times, each an idle-vCPU wake-up, against none when the client asks the
# upstream on its own CPU); with the daemon moved to the client's CPU, so that
# the difference is the daemon's own work plus two context switches; and with
# the daemon free to run on either CPU, where the scheduler puts it (what a
# machine that pins nothing gets).
lat_run() { # WHO ADDR ROUND
	local out
	out=$(taskset -c "$CCPU" "$LAT" "$2" 53 "$T/forward-names.txt" 1000 "$LSECS")
	echo -e "latency\t$1\t$3\t$out" >>"$RES"
	say "latency $1 round $3: $out"
}
for r in $(seq 1 "$ROUNDS"); do
	lat_run upstream $UP "$r"
	for t in "smbreakd $SMB $SPID" "dnsmasq-nolist $DM0 $DM0_PID" "dnsmasq $DM $DM_PID" \
		"dnsdist $DD $DD_PID" "unbound $UB $UB_PID" "floor $FLR $FLR_PID"; do
		set -- $t
		lat_run "$1" "$2" "$r"
		taskset -a -p -c "$CCPU" "$3" >/dev/null
		lat_run "$1-1cpu" "$2" "$r"
		taskset -a -p -c "$DCPU,$CCPU" "$3" >/dev/null
		lat_run "$1-anycpu" "$2" "$r"
		taskset -a -p -c "$DCPU" "$3" >/dev/null
	done
done

# ---- 4b: cache hits: each one's cache on, the same 1,000 names over and over --
# smbreakd's cache is filled with 10,000 names first (its memory per entry,
# from its own count and from RSS), the peers' caches with the 1,000; then
# every answer is a hit.
head -n 1000 "$T/q-forward.txt" >"$T/q-cache.txt"
head -n 10000 "$T/q-forward.txt" >"$T/q-fill.txt"
CACHE=10000
switch "$BIGLIST"
before=$(rss $SPID)
taskset -c "$CCPU" dnsperf -s $SMB -d "$T/q-fill.txt" -n 1 -q 100 -t 2 >/dev/null 2>&1
sleep 0.2
cstat=$(smctl --json status | python3 -c 'import json, sys; c = json.load(sys.stdin)["counters"]; print(c["cache_entries"], c["cache_bytes"])')
echo -e "cachemem\tsmbreakd\t0\t${cstat% *}\t${cstat#* }\t$before\t$(rss $SPID)" >>"$RES"
say "cache filled: ${cstat% *} entries, ${cstat#* } bytes counted, RSS $before -> $(rss $SPID) kB"
for a in $DMC $DDC $UBC; do
	taskset -c "$CCPU" dnsperf -s $a -d "$T/q-cache.txt" -n 1 -q 100 -t 2 >/dev/null 2>&1
done
for r in $(seq 1 "$ROUNDS"); do
	run_perf cache smbreakd $SMB $SPID "$T/q-cache.txt" "$r"
	run_perf cache dnsmasq $DMC "$DMC_PID" "$T/q-cache.txt" "$r"
	run_perf cache dnsdist $DDC "$DDC_PID" "$T/q-cache.txt" "$r"
	run_perf cache unbound $UBC "$UBC_PID" "$T/q-cache.txt" "$r"
	run_perf cache floor $FLE "$FLE_PID" "$T/q-cache.txt" "$r"
done
say "smbreakd cache: $(smctl --json status | python3 -c 'import json, sys; c = json.load(sys.stdin)["counters"]; print("hits", c["cache_hits"], "misses", c["cache_misses"])')"
CACHE=0
switch "$BIGLIST"

# ---- 5: memory, reload peak, and queries during reloads under load ------------
echo 5 >"/proc/$SPID/clear_refs" # VmHWM := VmRSS
before=$(rss $SPID)
t0=$(date +%s.%N)
smctl reload >/dev/null
RELOAD_S=$(since "$t0")
echo -e "reload\tsmbreakd\t0\t$before\t$(hwm $SPID)\t$(rss $SPID)\t$RELOAD_S" >>"$RES"
say "reload: RSS $before kB, peak $(hwm $SPID) kB, after $(rss $SPID) kB, smctl reload took $RELOAD_S s"

# under load: forwarded names at 20,000 q/s for 8 s, 3 reloads 2 s apart,
# then the same run without reloads; failures = lost + SERVFAIL/REFUSED answers.
load_run() { # LABEL RELOADS
	local out n lost bad u0 u1
	u0=$(rcvbuf_errors)
	taskset -c "$CCPU" dnsperf -s $SMB -d "$T/q-forward.txt" -l 8 -Q 20000 -q 500 -t 2 \
		>"$T/load.out" 2>&1 &
	local dp=$!
	for _ in $(seq 1 "$2"); do
		sleep 2
		smctl reload >/dev/null
	done
	wait $dp
	u1=$(rcvbuf_errors)
	out=$(cat "$T/load.out")
	n=$(awk '/Queries sent/{print $3}' <<<"$out")
	lost=$(awk '/Queries lost/{print $3}' <<<"$out")
	bad=$(grep -o 'SERVFAIL [0-9]*\|REFUSED [0-9]*' <<<"$out" | awk '{s += $2} END {print s + 0}')
	echo -e "reloadload\t$1\t0\t$n\t$lost\t$bad\t$((u1 - u0))" >>"$RES"
	say "$1: $n sent, $lost lost, $bad SERVFAIL/REFUSED, $((u1 - u0)) UDP receive-buffer drops ($(grep -o 'NOERROR [0-9]*\|SERVFAIL [0-9]*\|REFUSED [0-9]*' <<<"$out" | tr '\n' ' '))"
}
if [ -z "$QUICK" ]; then
	load_run with-reloads 3
	load_run no-reload 0
fi

# ---- 6: a lossy path to the upstream: 1 datagram in 4 to it dropped ----------
# Forwarded names at 2,000 q/s; dnsperf never retries, so an unanswered query
# counts as lost and a forwarder's give-up as SERVFAIL. The rule drops on input
# to the upstream, silently, as loss on the wire does.
nft -f - <<NFT
table inet benchloss {
	chain in {
		type filter hook input priority 0;
		ip daddr $UP udp dport 53 numgen inc mod 4 == 0 drop
	}
}
NFT
lossy_run() { # WHO ADDR
	local out sent lost sf
	out=$(taskset -c "$CCPU" dnsperf -s "$2" -d "$T/q-forward.txt" -l "$LOSSY_SECS" -Q 2000 \
		-q 500 -t 5 2>&1)
	sent=$(awk '/Queries sent/{print $3}' <<<"$out")
	lost=$(awk '/Queries lost/{print $3}' <<<"$out")
	sf=$(grep -o 'SERVFAIL [0-9]*' <<<"$out" | awk '{s += $2} END {print s + 0}')
	echo -e "lossy\t$1\t0\t$sent\t$lost\t$sf" >>"$RES"
	say "lossy upstream, $1: $sent sent, $lost lost, $sf SERVFAIL"
}
LOSSY_SECS=10
[ -n "$QUICK" ] && LOSSY_SECS=2
lossy_run smbreakd $SMB
lossy_run dnsmasq-nolist $DM0
lossy_run dnsmasq $DM
nft delete table inet benchloss

# ---- summary ------------------------------------------------------------------
say "raw results in $RES"
python3 - "$RES" "$(nproc)" <<'PY'
import sys, statistics as st
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
def med(kind, who, col):
    v = [float(r[col]) for r in rows if r[0] == kind and r[1] == who]
    return st.median(v) if v else float("nan")
def allv(kind, who, col):
    return " / ".join("%.0f" % float(r[col]) for r in rows if r[0] == kind and r[1] == who)
one = lambda kind, who, col: next(r[col] for r in rows if r[0] == kind and r[1] == who)
print("| what | smbreakd | dnsmasq 2.90 | ratio |")
print("|---|---|---|---|")
b_s, b_d = med("blocked", "smbreakd", 3), med("blocked", "dnsmasq", 3)
print(f"| blocked names, 1M list, q/s (median; runs) | {b_s:,.0f} ({allv('blocked','smbreakd',3)}) | {b_d:,.0f} ({allv('blocked','dnsmasq',3)}) | {b_s/b_d:.2f}x |")
print(f"| daemon CPU per blocked answer, us | {med('blocked','smbreakd',6):.2f} | {med('blocked','dnsmasq',6):.2f} | {med('blocked','dnsmasq',6)/med('blocked','smbreakd',6):.2f}x |")
# What one core could answer if the client kept up: 1 s over the CPU per answer.
c_s, c_d = 1e6 / med('blocked','smbreakd',6), 1e6 / med('blocked','dnsmasq',6)
print(f"| blocked answers one core can give (1 s / CPU per answer), q/s | {c_s:,.0f} | {c_d:,.0f} | {c_s/c_d:.2f}x |")
e_s, e_d = med("blocked-edns", "smbreakd", 3), med("blocked-edns", "dnsmasq", 3)
print(f"| blocked names with EDNS (dnsperf -e), q/s, 1 run | {e_s:,.0f} | {e_d:,.0f} | {e_s/e_d:.2f}x |")
f_s, f_d = med("forward", "smbreakd", 3), med("forward", "dnsmasq", 3)
f_s0, f_d0 = med("forward", "smbreakd-nolist", 3), med("forward", "dnsmasq-nolist", 3)
print(f"| forwarded, 1M list, q/s | {f_s:,.0f} ({allv('forward','smbreakd',3)}) | {f_d:,.0f} ({allv('forward','dnsmasq',3)}) | {f_s/f_d:.2f}x |")
print(f"| forwarded, no list, q/s | {f_s0:,.0f} ({allv('forward','smbreakd-nolist',3)}) | {f_d0:,.0f} ({allv('forward','dnsmasq-nolist',3)}) | {f_s0/f_d0:.2f}x |")
print(f"| forwarded, 1M list vs no list | {100*(f_s/f_s0-1):+.1f}% | {100*(f_d/f_d0-1):+.1f}% | |")
print(f"| daemon CPU per forwarded query, 1M list, us | {med('forward','smbreakd',6):.2f} | {med('forward','dnsmasq',6):.2f} | |")
print(f"| daemon CPU per forwarded query, no list, us | {med('forward','smbreakd-nolist',6):.2f} | {med('forward','dnsmasq-nolist',6):.2f} | |")
lat = {}
for r in rows:
    if r[0] == "latency":
        f = r[3].split()
        d = dict(zip(f[0::2], f[1::2]))
        lat.setdefault(r[1], []).append(d)
def lm(who, k):
    return st.median(float(d[k]) for d in lat[who]) if who in lat else float("nan")
print()
print("| latency at 1,000 q/s, forwarded names (median of rounds), us | p50 | p90 | p99 | p99.9 | max | lost |")
print("|---|---|---|---|---|---|---|")
layouts = ("", "-1cpu", "-anycpu")
lat_who = ("smbreakd", "dnsmasq-nolist", "dnsmasq", "dnsdist", "unbound", "floor")
for who in ["upstream"] + [d + l for l in layouts for d in lat_who]:
    if who in lat:
        print(f"| {who} | {lm(who,'p50'):.1f} | {lm(who,'p90'):.1f} | {lm(who,'p99'):.1f} | {lm(who,'p999'):.1f} | {lm(who,'max'):.1f} | {sum(int(d['lost']) for d in lat[who])} |")
for who in [d + l for l in layouts for d in lat_who]:
    if who in lat and "upstream" in lat:
        print(f"| added by {who} over the upstream | {lm(who,'p50')-lm('upstream','p50'):.1f} | {lm(who,'p90')-lm('upstream','p90'):.1f} | {lm(who,'p99')-lm('upstream','p99'):.1f} | | | |")
print()
peers = ("dnsmasq", "dnsdist", "unbound")
print("| caches off but in the cache row; 1M list | smbreakd | " + " | ".join(peers) + " | floor |")
print("|---|---|---|---|---|---|")
for kind, what in (("blocked", "blocked names"), ("forward", "forwarded names"), ("cache", "cache hits")):
    qs = [med(kind, w, 3) for w in ("smbreakd",) + peers + ("floor",)]
    cpu = [med(kind, w, 6) for w in ("smbreakd",) + peers + ("floor",)]
    print(f"| {what}, q/s | " + " | ".join(f"{v:,.0f}" for v in qs) + " |")
    print(f"| {what}, daemon CPU per answer, us (peer / smbreakd) | {cpu[0]:.2f} | " +
          " | ".join(f"{c:.2f} ({c / cpu[0]:.2f}x)" for c in cpu[1:-1]) + f" | {cpu[-1]:.2f} |")
    # Each daemon's own work: its CPU per answer over the floor's, which does
    # the same system calls and nothing else.
    own = [c - cpu[-1] for c in cpu[:-1]]
    print(f"| {what}, CPU per answer above the floor, us (peer / smbreakd) | {own[0]:.2f} | " +
          " | ".join(f"{o:.2f} ({o / own[0]:.1f}x)" if own[0] > 0 else f"{o:.2f}" for o in own[1:]) + " | 0 |")
    if kind == "cache":
        print(f"| cache hits one core can give (1 s / CPU per answer), q/s | " +
              " | ".join(f"{1e6 / c:,.0f}" for c in cpu) + " |")
for r in rows:
    if r[0] == "cachemem":
        n, b, r0, r1 = int(r[3]), int(r[4]), int(r[5]), int(r[6])
        print(f"smbreakd cache: {n} entries, {b / n:.0f} bytes per entry counted ({b / 1048576:.2f} MB), RSS +{(r1 - r0) / 1024:.2f} MB ({(r1 - r0) * 1024 / n:.0f} bytes per entry)")
print(f"ready with the 1M list: dnsdist {float(one('ready','dnsdist',3)):.2f} s, unbound {float(one('ready','unbound',3)):.2f} s; RSS dnsdist {int(one('rss','dnsdist',3))/1024:.1f} MB, unbound {int(one('rss','unbound',3))/1024:.1f} MB")
print(f"smbreakd ready (start to first answer) {float(one('ready','smbreakd',3)):.2f} s; dnsmasq with the 1M address= list {float(one('ready','dnsmasq',3)):.2f} s")
print(f"RSS with the 1M list: smbreakd {int(one('rss','smbreakd',3))/1024:.1f} MB, dnsmasq {int(one('rss','dnsmasq',3))/1024:.1f} MB (no list {int(one('rss','dnsmasq-nolist',3))/1024:.1f} MB)")
rl = next(r for r in rows if r[0] == "reload")
print(f"smbreakd reload: RSS {int(rl[3])/1024:.1f} MB, peak {int(rl[4])/1024:.1f} MB ({int(rl[4])/int(rl[3]):.2f}x), after {int(rl[5])/1024:.1f} MB; smctl reload took {float(rl[6]):.2f} s")
for r in rows:
    if r[0] == "lossy":
        print(f"upstream losing 1 datagram in 4, forwarded names at 2,000 q/s, {r[1]}: {r[3]} sent, {r[5]} SERVFAIL, {r[4]} unanswered")
for r in rows:
    if r[0] == "reloadload":
        print(f"under load at 20,000 q/s for 8 s, {r[1]}: {r[3]} sent, {r[4]} lost, {r[5]} SERVFAIL/REFUSED, {r[6]} UDP receive-buffer drops")
PY
