#!/bin/bash
# Gateway mode's cost to routed traffic (see BENCHMARKS.md, Gateway mode): a
# phone namespace on a bridge br-lan of a router namespace, routed and
# masqueraded to an internet namespace running iperf3's server. TCP
# throughput and UDP packets/s from the phone, first through the plain
# router, then with smbreakd's table (100,000 learned addresses, breaks in
# force for eight other devices, whose rules every packet of the phone
# meets), then plain again, all in one run.
#
#   bench/gateway/run.sh SMBREAKD [--quick] [--check]
#
# --quick: one-second runs and no verdict (the ctest smoke run); --check:
# exit 1 when smbreak's run is more than 3% below the plain ones' mean.
set -u
D=${1:?usage: run.sh PATH/TO/smbreakd [--quick] [--check]}
shift
QUICK=
CHECK=
for a in "$@"; do
	case $a in
	--quick) QUICK=1 ;;
	--check) CHECK=1 ;;
	*) echo "unknown option $a" >&2; exit 2 ;;
	esac
done
if [ "$(id -u)" -ne 0 ] || ! command -v iperf3 >/dev/null || ! command -v nft >/dev/null ||
	! ip netns add smbbr-probe-$$ 2>/dev/null; then
	echo "skip: needs root, iperf3, nft(8) and network namespaces" >&2
	exit 77
fi
ip netns delete smbbr-probe-$$
SECS=$([ -n "$QUICK" ] && echo 1 || echo 3)
R=smbbr-$$
P=smbbp-$$
N=smbbn-$$
T=$(mktemp -d /tmp/smbbench.XXXXXX)
DPID=
cleanup() {
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	# iperf3 -D is no child of ours: deleting its namespace's name would
	# leave it running (and the namespace with it) after every run.
	[ -s "$T/iperf.pid" ] && kill "$(cat "$T/iperf.pid")" 2>/dev/null
	for n in "$P" "$N" "$R"; do ip netns delete "$n" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT

. "$(dirname "$0")/net.sh"
bench_lan_up "$R" "$P" "$N" || { echo "run.sh: the test network" >&2; exit 1; }
ip netns exec "$N" iperf3 -s -D -B 10.99.0.2 --pidfile "$T/iperf.pid" >/dev/null
sleep 0.5

# run FILE: TCP Mbit/s and UDP packets/s (64-byte datagrams, as fast as the
# client sends them) received at the server, appended to FILE.
run() {
	local tcp udp
	tcp=$(ip netns exec "$P" iperf3 -c 10.99.0.2 -t "$SECS" -J |
		python3 -c 'import json,sys; print("%.0f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e6))')
	udp=$(ip netns exec "$P" iperf3 -c 10.99.0.2 -u -b 0 -l 64 -t "$SECS" -J |
		python3 -c 'import json,sys; s = json.load(sys.stdin)["end"]["sum"]; print("%.0f" % ((s["packets"] - s["lost_packets"]) / s["seconds"]))')
	printf '%-24s %8s Mbit/s TCP %10s packets/s UDP\n' "$1" "$tcp" "$udp"
	echo "$tcp $udp" >>"$T/$1"
}

# The learned addresses (as many as the forwarder keeps: 65,536, half of
# each family) carried into the table at start, and a break for eight
# devices that are not the phone.
mkdir -p "$T/state"
python3 - "$T/state/learned" <<-'PY'
	import ipaddress, sys, time
	exp = int(time.time()) + 3600
	with open(sys.argv[1], "w") as f:
	    for i in range(50000):
	        f.write("%s %d social\n" % (ipaddress.IPv4Address(0x64400000 + i), exp))
	        f.write("%s %d social\n" % (ipaddress.IPv6Address((0x20010db8 << 96) + i), exp))
PY
{
	printf '[daemon]\nmode = gateway\nlan = br-lan\nupstream = 10.99.0.2\n\n'
	printf '[list social]\ndomains = social.example\n\n'
	for i in 1 2 3 4 5 6 7 8; do printf '[device other%d]\nmac = 02:bb:00:00:01:%02x\n' "$i" "$i"; done
	printf '[device phone]\nmac = 02:bb:00:00:00:01\n\n'
	printf '[break others]\ntimes = 00:00-24:00\nlists = social\ndevices = other1 other2 other3 other4 other5 other6 other7 other8\n'
} >"$T/smbreak.conf"
ip netns exec "$R" "$D" -f "$T/smbreak.conf" -s "$T/sock" --state-dir "$T/state" \
	--data-dir "$(dirname "$0")/../../conf" >"$T/daemon.log" 2>&1 &
DPID=$!
for _ in $(seq 1 200); do
	[ -S "$T/sock" ] && ip netns exec "$R" nft list chain inet smbreak block_devices 2>/dev/null |
		grep -q ether && break
	sleep 0.1
done
# The daemon's table, kept and put back by nft -f, so that the runs with
# and without it alternate in the same minute (the machine's other load
# moves more than what is measured); the daemon itself is stopped hard,
# which leaves its table in place.
ip netns exec "$R" nft list table inet smbreak >"$T/table.nft"
kill -9 "$DPID" && wait "$DPID" 2>/dev/null
DPID=
n4=$(grep -o '100\.6[4-9]\.[0-9]*\.[0-9]*' "$T/table.nft" | wc -l)
n6=$(grep -o '2001:db8::[0-9a-f:]*' "$T/table.nft" | wc -l)
rules=$(grep -c 'ether saddr' "$T/table.nft")
echo "smbreak's table: $n4 + $n6 learned addresses, $rules rules for other devices"
ROUNDS=$([ -n "$QUICK" ] && echo 1 || echo 5)
for _ in $(seq 1 "$ROUNDS"); do
	ip netns exec "$R" nft delete table inet smbreak 2>/dev/null
	run plain
	ip netns exec "$R" nft -f "$T/table.nft" || { echo "nft -f of the table failed" >&2; exit 1; }
	run smbreak
done
ip netns exec "$R" nft delete table inet smbreak

python3 - "$T/plain" "$T/smbreak" "$CHECK" <<-'PY'
	import statistics, sys
	rows = lambda f: [list(map(float, l.split())) for l in open(f)]
	plain, smb = rows(sys.argv[1]), rows(sys.argv[2])
	med = lambda v, k: statistics.median(r[k] for r in v)
	ratio = [med(smb, k) / med(plain, k) if med(plain, k) else 0 for k in (0, 1)]
	print("medians: plain %.0f Mbit/s %.0f packets/s, smbreak %.0f Mbit/s %.0f packets/s"
	      % (med(plain, 0), med(plain, 1), med(smb, 0), med(smb, 1)))
	print("smbreak / plain: TCP %.3f, UDP %.3f" % tuple(ratio))
	if sys.argv[3] and min(ratio) < 0.97:
	    print("FAIL: more than 3% below the plain router")
	    sys.exit(1)
PY
