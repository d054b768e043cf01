#!/bin/bash
# Socket activation as smbreakd.socket does it: port 53 bound by someone else
# (tests/system/activate.py, standing in for systemd) and handed over with
# LISTEN_FDS, to a daemon whose capability bounding set lacks
# CAP_NET_BIND_SERVICE, as the unit runs it. The sockets are taken by
# address, answer over UDP and TCP, a handed-over address that `listen` does
# not name is reported, the shipped smbreakd.socket carries every socket the
# shipped config needs (port 153 for intercepted IPv6 and routed queries
# included), and a `listen` address that was not handed over fails the start
# with a message saying what to add.
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

# --- the shipped unit's sockets carry what the shipped config needs ----------
# Its ListenDatagram=/ListenStream= lines, as activate.py specs; with the
# default `listen` and `intercept = yes` the daemon takes every one of them,
# port 153 included, and IPv6 port-53 traffic reaches it there.
mapfile -t UNIT < <(sed -n 's/^ListenDatagram=/udp:/p; s/^ListenStream=/tcp:/p' \
	"$SMB_SOURCE_DIR/systemd/smbreakd.socket")
: >"$LOG"
cat >"$CONF" <<CONF
[daemon]
upstream = $UP4
intercept = yes

[list social]
domains = $UP_LISTED
CONF
# A route for the IPv6 server the query is sent to (nothing need be there).
ip -n "$NS" link add smbd0 type veth peer name smbd1
ip -n "$NS" addr add 2001:db8:99::1/64 dev smbd0 nodad
ip -n "$NS" link set smbd0 up
ip -n "$NS" link set smbd1 up
check "the daemon starts on the shipped unit's sockets" start_activated "${UNIT[@]}"
contains "port 153 came from the unit" "$(cat "$LOG")" \
	"dns: listening on [::1]:153 (UDP, from systemd) for intercepted queries"
contains "the wildcard ones too" "$(cat "$LOG")" \
	"dns: listening on [::]:153 (UDP and TCP, from systemd) for intercepted queries"
case $(cat "$LOG") in
*"came from systemd but is not in"*) fail "a socket of the unit was left unused: $(cat "$LOG")" ;;
*) ok ;;
esac
expect_rc 0 "pause" "$SMCTL" -s "$SOCK" pause 10m
expect_rc 0 "an IPv6 query to another server" \
	ip netns exec "$NS" dig +time=2 +tries=1 @2001:db8:99::53 "$UP_LISTED" AAAA
expect_in "EDE: 15 (Blocked)" "is intercepted to the unit's [::1]:153 and blocked"
expect_rc 0 "over TCP" ip netns exec "$NS" dig +tcp +time=2 +tries=1 @2001:db8:99::53 "$UP_LISTED" AAAA
expect_in "EDE: 15 (Blocked)" "through the unit's [::]:153"
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
