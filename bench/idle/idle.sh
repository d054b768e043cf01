#!/bin/bash
# The idle daemon: wake-ups between transitions, resident memory with the
# shipped default config, and the smctl status round trip.
# Usage: bench/idle/idle.sh BUILD_DIR [SECONDS]   (root, strace)
# The daemon owns an nftables table and port 53: it runs in a network
# namespace of its own (the script re-executes itself under unshare -n).
set -euo pipefail
if [ -z "${SMB_IN_NETNS:-}" ]; then
	exec unshare -n env SMB_IN_NETNS=1 "$0" "$@"
fi
ip link set lo up
build=${1:?build dir}
secs=${2:-60}
src=$(cd "$(dirname "$0")/../.." && pwd)
t=$(mktemp -d)
trap 'kill $pid 2>/dev/null; rm -rf "$t"' EXIT

"$build/daemon/smbreakd" -f "$src/conf/smbreak.conf" --data-dir "$src/conf" \
	-s "$t/sock" --state-dir "$t/state" 2>"$t/log" &
pid=$!
for _ in $(seq 100); do "$build/ctl/smctl" -s "$t/sock" status >/dev/null 2>&1 && break; sleep 0.05; done

# Round trip: 500 sequential `smctl status`, each a new process and connection.
python3 - "$build/ctl/smctl" "$t/sock" <<'PY'
import subprocess, sys, time, statistics
smctl, sock = sys.argv[1], sys.argv[2]
v = []
for _ in range(500):
    t0 = time.perf_counter()
    subprocess.run([smctl, "-s", sock, "status"], stdout=subprocess.DEVNULL, check=True)
    v.append((time.perf_counter() - t0) * 1000)
v.sort()
print(f"smctl status round trip (process start included): median {statistics.median(v):.2f} ms, p99 {v[int(len(v)*0.99)]:.2f} ms")
PY

rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
echo "resident memory, default config (11 services loaded): ${rss} kB"

# Wake-ups: every syscall the daemon makes while idle is a wake-up.
timeout "$secs" strace -f -p "$pid" -o "$t/strace" 2>/dev/null || true
n=$(grep -vc -e 'resumed>' -e '^$' -e 'strace: Process' "$t/strace" || true)
echo "syscalls while idle for ${secs} s: $n"
[ "$n" -gt 0 ] && head -5 "$t/strace"
exit 0
