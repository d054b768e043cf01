#!/bin/bash
# DNS for the LAN (BENCHMARKS.md, Gateway mode): bench/dns's forwarded and
# blocked figures measured from a phone namespace through a router namespace
# (bridge br-lan), smbreakd in gateway mode against dnsmasq on the router,
# both with the same list and forwarding to an upstream in an internet
# namespace that answers every name itself.
#
#   bench/gateway/dns_lan.sh BUILD_DIR [--rounds N] [--secs S] [--n LIST] [--quick]
#
# BUILD_DIR holds daemon/smbreakd, ctl/smctl and bench/dns/bench_dns_gen.
# Each round runs smbreakd (a pause for the phone in force) with dnsperf
# asking the router's LAN address, then an address in the internet namespace
# that only the gateway's prerouting redirect answers; then smbreakd is
# stopped (its table goes with it) and dnsmasq, listening on the LAN address,
# answers the same queries: while smbreakd runs, every port-53 query from the
# LAN is redirected to it, so the two cannot share a minute. Layout on a
# 2-core machine: the daemon under test on CPU 0, dnsperf and the upstream on
# CPU 1. --quick: a 20,000-name list, 1 round of 2 s (the ctest smoke run).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
USAGE='usage: dns_lan.sh BUILD_DIR [--rounds N] [--secs S] [--n LIST] [--quick]'
BUILD=$(cd "${1:?$USAGE}" && pwd) || exit 2
shift
ROUNDS=3 SECS=10 N=1000000 QUICK=''
while [ $# -gt 0 ]; do
	case $1 in
	--rounds) ROUNDS=$2; shift ;;
	--secs) SECS=$2; shift ;;
	--n) N=$2; shift ;;
	--quick) QUICK=1 ROUNDS=1 SECS=2 N=20000 ;;
	*) echo "dns_lan.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
for c in dnsperf dnsmasq dig taskset python3 nft; do
	command -v "$c" >/dev/null || { echo "skip: needs $c" >&2; exit 77; }
done
if [ "$(id -u)" -ne 0 ] || ! ip netns add smbdl-probe-$$ 2>/dev/null; then
	echo "skip: needs root and network namespaces" >&2
	exit 77
fi
ip netns delete smbdl-probe-$$
SMBREAKD=$BUILD/daemon/smbreakd
SMCTL=$BUILD/ctl/smctl
GEN=$BUILD/bench/dns/bench_dns_gen
for f in "$SMBREAKD" "$SMCTL" "$GEN"; do
	[ -x "$f" ] || { echo "dns_lan.sh: $f not built" >&2; exit 1; }
done
DCPU=0 CCPU=1
[ "$(nproc)" -ge 2 ] || CCPU=0

R=smbdlr-$$ # the router
P=smbdlp-$$ # the phone
I=smbdli-$$ # the internet
LAN=10.77.0.1   # the router on br-lan
UP=10.99.0.2    # the upstream, in the internet namespace
ELSE=10.99.0.53 # an address of the internet nobody answers DNS on
T=$(mktemp -d /tmp/bench_dns_lan.XXXXXX)
RES=$T/results.tsv # kind, who, round, q/s, completed, lost, us CPU per answer
SPID='' DPID='' UPID=''
stop() { # PID: TERM and wait
	[ -n "$1" ] && kill -TERM "$1" 2>/dev/null && wait "$1" 2>/dev/null
}
cleanup() {
	stop "$SPID"
	stop "$DPID"
	stop "$UPID"
	for n in "$P" "$I" "$R"; do ip netns delete "$n" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
say() { echo "# $*" >&2; }

# ---- the network ----------------------------------------------------------------
. "$HERE/net.sh"
bench_lan_up "$R" "$P" "$I" || { echo "dns_lan.sh: the test network" >&2; exit 1; }
ip -n "$I" addr add $ELSE/32 dev lo

# ---- inputs: bench/dns's list and query files -----------------------------------
say "generating the $N-name list and the query files in $T"
Q=1000000
[ -n "$QUICK" ] && Q=50000
"$GEN" "$T" --n "$N" --q "$Q" >&2 || exit 1
LISTED_ONE=$(awk 'NR==1{print $1}' "$T/q-blocked.txt")
FWD_ONE=$(awk 'NR==1{print $1}' "$T/q-forward.txt")

# wait_answer ADDR NAME STATUS SECONDS: polls from the phone until ADDR
# answers NAME with STATUS.
wait_answer() {
	for _ in $(seq 1 $(($4 * 20))); do
		ip netns exec "$P" dig @"$1" +time=1 +tries=1 "$2" A 2>/dev/null |
			grep -q "status: $3" && return 0
		sleep 0.05
	done
	echo "dns_lan.sh: $1 does not answer $2 with $3" >&2
	exit 1
}

# The upstream answers every A query from its config (address=/#/), never
# forwarding; bench/dns/run.sh's.
ip netns exec "$I" taskset -c "$CCPU" dnsmasq --keep-in-foreground -C /dev/null --no-hosts \
	--no-resolv --no-poll --bind-interfaces --listen-address=$UP --port=53 --user=root \
	--group=root --pid-file= --address='/#/198.51.100.1' --cache-size=0 --local-ttl=3600 \
	2>"$T/upstream.log" &
UPID=$!
wait_answer $UP "$FWD_ONE" NOERROR 5

. "$SRC/bench/dns/perf.sh"
# run_perf KIND WHO ADDR PID QUERYFILE ROUND: one dnsperf run from the phone;
# records q/s, completed, lost and the daemon's CPU microseconds per answer.
run_perf() {
	local a b c0 c1 out qps ndone lost us
	a=$(ticks "$4")
	c0=$(cpustat)
	out=$(ip netns exec "$P" taskset -c "$CCPU" dnsperf -s "$3" -d "$5" -l "$SECS" -q 100 -t 2 2>&1)
	b=$(ticks "$4")
	c1=$(cpustat)
	qps=$(awk '/Queries per second/{print $4}' <<<"$out")
	ndone=$(awk '/Queries completed/{print $3}' <<<"$out")
	lost=$(awk '/Queries lost/{print $3}' <<<"$out")
	us=$(awk -v t=$((b - a)) -v hz="$HZ" -v n="$ndone" 'BEGIN{printf "%.2f", n ? t * 1e6 / hz / n : 0}')
	echo -e "$1\t$2\t$6\t$qps\t$ndone\t$lost\t$us" >>"$RES"
	say "$1 $2 round $6: $qps q/s, $lost lost, $us us CPU/answer, CPU busy $(busy "$c0" "$c1")($(grep -o 'NOERROR [0-9]*\|NXDOMAIN [0-9]*\|SERVFAIL [0-9]*\|REFUSED [0-9]*' <<<"$out" | tr '\n' ' '))"
}

# The daemons are started with ip netns exec itself (no shell function, no
# subshell) so that $! is the daemon: ip and taskset exec it.
# smbreakd in gateway mode on the router: the list, the phone a device, its
# own upstream queries leaving by mark past the redirect.
cat >"$T/smbreak.conf" <<EOF
[daemon]
mode = gateway
lan = br-lan
listen = $LAN:53
upstream = $UP
blocked_answer = nxdomain
blocked_ttl = 10s
cache = 0

[list big]
files = $T/list.txt

[device phone]
mac = 02:bb:00:00:00:01
EOF
smb_start() {
	rm -rf "$T/state" && mkdir -p "$T/state"
	ip netns exec "$R" taskset -c "$DCPU" "$SMBREAKD" -f "$T/smbreak.conf" -s "$T/smbreak.sock" \
		--state-dir "$T/state" --data-dir "$SRC/conf" -d 2>"$T/smbreakd.log" &
	SPID=$!
	for _ in $(seq 1 400); do
		"$SMCTL" -s "$T/smbreak.sock" status >/dev/null 2>&1 && break
		kill -0 "$SPID" 2>/dev/null || { cat "$T/smbreakd.log" >&2; exit 1; }
		sleep 0.01
	done
	"$SMCTL" -s "$T/smbreak.sock" pause 1h --device phone >&2 || exit 1
	wait_answer $LAN "$LISTED_ONE" NXDOMAIN 10
	wait_answer $ELSE "$LISTED_ONE" NXDOMAIN 10 # the redirect is on
}
dm_start() {
	ip netns exec "$R" taskset -c "$DCPU" dnsmasq --keep-in-foreground -C /dev/null \
		--conf-file="$T/dnsmasq-list.conf" --no-hosts --no-resolv --no-poll --bind-interfaces \
		--listen-address=$LAN --port=53 --user=root --group=root --pid-file= --server=$UP \
		--cache-size=0 2>>"$T/dnsmasq.log" &
	DPID=$!
	wait_answer $LAN "$LISTED_ONE" NXDOMAIN 120
	kill -0 "$DPID" 2>/dev/null || { cat "$T/dnsmasq.log" >&2; exit 1; }
}

for r in $(seq 1 "$ROUNDS"); do
	smb_start
	run_perf forward smbreakd $LAN $SPID "$T/q-forward.txt" "$r"
	run_perf blocked smbreakd $LAN $SPID "$T/q-blocked.txt" "$r"
	run_perf forward smbreakd-intercepted $ELSE $SPID "$T/q-forward.txt" "$r"
	run_perf blocked smbreakd-intercepted $ELSE $SPID "$T/q-blocked.txt" "$r"
	stop "$SPID"
	SPID=''
	ip netns exec "$R" nft list table inet smbreak >/dev/null 2>&1 && { echo "dns_lan.sh: smbreakd left its table" >&2; exit 1; }
	dm_start
	run_perf forward dnsmasq $LAN $DPID "$T/q-forward.txt" "$r"
	run_perf blocked dnsmasq $LAN $DPID "$T/q-blocked.txt" "$r"
	stop "$DPID"
	DPID=''
done

python3 - "$RES" "$N" "$ROUNDS" "$SECS" <<'PY'
import sys, statistics as st
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
n, rounds, secs = int(sys.argv[2]), sys.argv[3], sys.argv[4]
def med(kind, who, col):
    v = [float(r[col]) for r in rows if r[0] == kind and r[1] == who]
    return st.median(v) if v else float("nan")
print(f"| from the phone, {n:,}-name list, median of {rounds} x {secs} s | smbreakd | dnsmasq | ratio |")
print("|---|---|---|---|")
for kind, what in (("forward", "forwarded"), ("blocked", "blocked")):
    for who, to in (("smbreakd", "to the router"), ("smbreakd-intercepted", "to an internet address, redirected")):
        q_s, q_d = med(kind, who, 3), med(kind, "dnsmasq", 3)
        c_s, c_d = med(kind, who, 6), med(kind, "dnsmasq", 6)
        if who == "smbreakd":
            print(f"| {what}, {to}, q/s | {q_s:,.0f} | {q_d:,.0f} | {q_s / q_d if q_d else 0:.2f}x |")
            print(f"| {what}, {to}, daemon CPU per answer, us | {c_s:.2f} | {c_d:.2f} | {c_d / c_s if c_s else 0:.2f}x less |")
        else:
            print(f"| {what}, {to}, q/s | {q_s:,.0f} | n/a (no redirect) | |")
            print(f"| {what}, {to}, daemon CPU per answer, us | {c_s:.2f} | n/a | |")
PY
