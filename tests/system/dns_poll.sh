#!/bin/bash
# The forwarder polls for a fast upstream's answer rather than sleeping
# (dns_policy_poll_us), and only while one is due: after queries relayed to
# an upstream on the namespace's loopback, the daemon goes back to sleep, and
# strace sees no system call of it in the 3 s after (no busy loop left).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns_upstream.sh"
command -v strace >/dev/null || {
	echo "skip: needs strace" >&2
	exit 77
}
upstream_test

cat >"$CONF" <<CONF
[daemon]
listen = $FWD:53
upstream = $UP4
intercept = no
cache = 0 ; every query goes to the upstream
CONF
start_daemon
for i in $(seq 1 20); do
	ip netns exec "$NS" dig +short +time=2 +tries=1 @$FWD "$UP_BOTH" A >/dev/null
done
eq "the upstream answers through the forwarder" \
	"$(ip netns exec "$NS" dig +short +time=2 +tries=1 @$FWD "$UP_BOTH" A | head -n 1 | grep -c .)" "1"
sleep 0.2
timeout -s INT 3 strace -f -p "$DPID" -o "$T/strace.txt" 2>/dev/null
# Attached while it sleeps: at most the epoll_wait it is in, shown unfinished.
calls=$(grep -v -e 'epoll_wait(' -e '+++' -e '^[0-9 ]*--- ' "$T/strace.txt" | grep -c '(')
eq "no system call in the 3 s after the queries (the daemon sleeps)" "$calls" "0"
[ "$calls" = 0 ] || head -n 20 "$T/strace.txt" >&2
finish
