#!/bin/bash
# Allowances: which traffic shapes pass the usage rule's byte condition
# (`limit rate over R bytes/second`, the default of active_rate and its
# neighbours), the daemon's wake-ups while idle with an allowance configured,
# and its wake-ups and CPU during a sustained download from a listed address.
# Usage: bench/allowance/allowance.sh BUILD_DIR [SECONDS]   (root, strace, curl)
# Two network namespaces joined by a veth: the machine (A) and a paced HTTP
# server (B, pace.py) standing in for a social site.
set -euo pipefail
build=${1:?build dir}
secs=${2:-130}
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
A=smba-$$ B=smbb-$$ t=$(mktemp -d) W= pid=
trap 'kill $W $pid 2>/dev/null; ip netns del $A; ip netns del $B; rm -rf "$t"' EXIT
ip netns add $A
ip netns add $B
ip link add va netns $A type veth peer name vb netns $B
ip -n $A addr add 10.9.0.1/24 dev va
ip -n $B addr add 10.9.0.2/24 dev vb
for n in $A $B; do ip -n $n link set lo up; done
ip -n $A link set va up
ip -n $B link set vb up
ip netns exec $B python3 "$here/pace.py" 10.9.0.2 >/dev/null 2>&1 &
W=$!
sleep 1
get() { ip netns exec $A curl -s -o /dev/null "http://10.9.0.2:8000/?$1"; }

# 1. The byte condition alone, in a table of its own: packets over the rate.
shape() {
	ip netns exec $A nft -f - <<-NFT
		table inet m {
			chain p {
				type filter hook prerouting priority 0;
				ip saddr 10.9.0.2 counter
				ip saddr 10.9.0.2 limit rate over $2 bytes/second counter
			}
		}
	NFT
	shift 2
	"$@" >/dev/null 2>&1
	ip netns exec $A nft -j list chain inet m p | python3 -c '
import json, sys
j = json.load(sys.stdin)["nftables"]
c = [e["counter"] for o in j if "rule" in o for e in o["rule"]["expr"] if "counter" in e]
print("%8d bytes %4d packets, %4d over the rate" % (c[0]["bytes"], c[0]["packets"], c[1]["packets"]))'
	ip netns exec $A nft delete table inet m
}
keep() { for _ in $(seq 1 10); do get size=200; sleep 1; done; }
for r in 20000 40000 80000; do
	echo "rate over $r bytes/s:"
	printf '  %-44s' "200 B a second for 10 s (keep-alives)"; shape x $r keep
	printf '  %-44s' "one 30 kB answer (a notification)"; shape x $r get size=30000
	printf '  %-44s' "one 100 kB answer (an image)"; shape x $r get size=100000
	for p in 5000 30000 60000 300000; do
		printf '  %-44s' "paced $((p / 1000)) kB/s for 10 s"; shape x $r get "rate=$p&secs=10"
	done
done

# 2. The daemon with an allowance on the server's address.
cat >"$t/conf" <<CONF
[daemon]
upstream = 127.0.0.1:5300
intercept = no
[list social]
addresses = 10.9.0.2/32
[allowance social-time]
lists = social
per_day = 1h
CONF
ip netns exec $A "$build/daemon/smbreakd" -f "$t/conf" --data-dir "$src/conf" -s "$t/sock" \
	--state-dir "$t/state" 2>"$t/log" &
pid=$!
for _ in $(seq 100); do "$build/ctl/smctl" -s "$t/sock" status >/dev/null 2>&1 && break; sleep 0.05; done
idle=30
timeout $idle strace -f -p "$pid" -o "$t/idle" 2>/dev/null || true
n=$(grep -vc -e 'resumed>' -e '^$' -e 'strace: Process' "$t/idle" || true)
echo "daemon with an allowance, no traffic: $n system calls in $idle s"

ticks() { awk '{print $14 + $15}' /proc/$pid/stat; }
t0=$(ticks)
get "rate=300000&secs=$secs" &
g=$!
timeout "$secs" strace -f -p "$pid" -o "$t/busy" 2>/dev/null || true
wait $g || true
t1=$(ticks)
wake=$(grep -c 'recvfrom\|recvmsg\|recv(' "$t/busy" || true)
n=$(grep -vc -e 'resumed>' -e '^$' -e 'strace: Process' "$t/busy" || true)
echo "download at 300 kB/s for $secs s: $(grep -c 'recv' "$t/busy" || true) netlink reads, $n system calls, $(( (t1 - t0) * 1000 / $(getconf CLK_TCK) )) ms of CPU (under strace)"
"$build/ctl/smctl" -s "$t/sock" status | grep Allowance
