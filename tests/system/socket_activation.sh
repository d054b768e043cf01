#!/bin/bash
# Socket activation as smbreakd.socket does it: port 53 bound by someone else
# (tests/system/activate.py, standing in for systemd) and handed over with
# LISTEN_FDS, to a daemon whose capability bounding set lacks
# CAP_NET_BIND_SERVICE, as the unit runs it. The sockets are taken by
# address, answer over UDP and TCP, a handed-over address that `listen` does
# not name is reported, and a `listen` address that was not handed over fails
# the start with a message saying what to add.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns_upstream.sh"
command -v dig >/dev/null && command -v dnsmasq >/dev/null && command -v setpriv >/dev/null || {
	echo "skip: needs dig, dnsmasq and setpriv" >&2
	exit 77
}
trap 'upstream_stop; cleanup' EXIT
UP4=$UP_SUGGESTED_ADDR4
FWD=127.0.0.153
upstream_start "$NS" "$UP4"

cat >"$CONF" <<CONF
[daemon]
listen = $FWD:53
upstream = $UP4
intercept = no
CONF

# start_activated SOCKET-SPECS...: the daemon behind activate.py and setpriv,
# without CAP_NET_BIND_SERVICE; waits for its control socket or its exit.
start_activated() {
	ip netns exec "$NS" python3 "$(dirname "$0")/activate.py" "$@" -- \
		setpriv --bounding-set -net_bind_service --inh-caps -net_bind_service \
		"$SMBREAKD" -f "$CONF" -s "$SOCK" --state-dir "$STATE" --data-dir "$SMB_SOURCE_DIR/conf" -d \
		>>"$LOG" 2>&1 &
	DPID=$!
	for _ in $(seq 1 100); do
		"$SMCTL" -s "$SOCK" status >/dev/null 2>&1 && return 0
		kill -0 "$DPID" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# --- the handed-over sockets are used ----------------------------------------
check "the daemon starts on sockets it did not bind" start_activated \
	"udp:$FWD:53" "tcp:$FWD:53" "udp:127.0.0.154:53"
capbnd=$(awk '/^CapBnd/ {print $2}' "/proc/$DPID/status")
check "its bounding set lacks CAP_NET_BIND_SERVICE (bit 10)" \
	python3 -c "import sys; sys.exit(bool(int('$capbnd', 16) & (1 << 10)))"
contains "the log says where the sockets came from" "$(cat "$LOG")" \
	"dns: listening on $FWD:53 (UDP and TCP, from systemd)"
contains "a handed-over socket not in listen is named" "$(cat "$LOG")" \
	"127.0.0.154:53 (UDP)"
expect_rc 0 "dig over UDP" ip netns exec "$NS" dig +short +time=2 +tries=1 @"$FWD" "$UP_BOTH" A
eq "the answer comes through" "$OUT" "$UP_BOTH_A"
expect_rc 0 "dig over TCP" ip netns exec "$NS" dig +tcp +short +time=2 +tries=1 @"$FWD" "$UP_BOTH" A
eq "the TCP answer comes through" "$OUT" "$UP_BOTH_A"
check "a clean stop" stop_daemon

# --- a listen address that was not handed over: the start fails, saying why ---
: >"$LOG"
cat >"$CONF" <<CONF
[daemon]
listen = $FWD:53 127.0.0.155:53
upstream = $UP4
intercept = no
CONF
start_activated "udp:$FWD:53" "tcp:$FWD:53"
wait "$DPID"
rc=$?
DPID=
check "the start fails (exit $rc)" test "$rc" -ne 0
contains "the error names the address" "$(cat "$LOG")" "cannot listen on 127.0.0.155:53 (UDP)"
contains "and says what to do" "$(cat "$LOG")" "smbreakd.socket"

finish
