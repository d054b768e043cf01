#!/bin/bash
# smbreak-notify in a real session: a private session bus (dbus-daemon
# --session), dunst as the notification server on an Xvfb screen, and
# smbreak-notify against a running smbreakd. What dunst showed is read back
# with `dunstctl history`: the warning of a break a few seconds ahead
# (warn = 3s) with its name and start, its start with its end, its end, and
# one refusal for several blocked queries. It reconnects across a kill -9
# and restart of the daemon, and without a session bus it waits quietly.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/soon.sh"
export TZ=UTC
NOTIFY=${SMBREAK_NOTIFY:-$(dirname "$SMCTL")/smbreak-notify}
for tool in Xvfb dunst dunstctl dbus-daemon dbus-send dig; do
	command -v "$tool" >/dev/null || {
		echo "skip: needs $tool (packages xvfb, dunst, dbus-daemon, dbus-bin, dnsutils)" >&2
		exit 77
	}
done

XPID= BPID= NPID= DUPID=
trap 'kill $NPID $DUPID $XPID $BPID 2>/dev/null; cleanup' EXIT

# The screen and the session bus, private to this test.
DISP=$((100 + $$ % 400))
Xvfb ":$DISP" -nolisten tcp -screen 0 800x600x24 >"$T/xvfb.log" 2>&1 &
XPID=$!
dbus-daemon --session --nofork --print-address=3 3>"$T/bus.addr" >"$T/bus.log" 2>&1 &
BPID=$!
for _ in $(seq 1 50); do [ -s "$T/bus.addr" ] && [ -e "/tmp/.X11-unix/X$DISP" ] && break; sleep 0.1; done
export DBUS_SESSION_BUS_ADDRESS=$(head -1 "$T/bus.addr") DISPLAY=:$DISP
[ -n "$DBUS_SESSION_BUS_ADDRESS" ] || { fail "the session bus came up"; finish; }
dunst >"$T/dunst.log" 2>&1 &
DUPID=$!
for _ in $(seq 1 50); do dunstctl is-paused >/dev/null 2>&1 && break; sleep 0.1; done
check "dunst answers on the private bus" dunstctl is-paused

# 'summaries' and 'bodies' of every notification dunst showed so far.
shown() {
	dunstctl close-all
	dunstctl history | python3 -c '
import json, sys
h = json.load(sys.stdin)["data"][0]
h.sort(key=lambda n: n["id"]["data"])
summaries = [n["summary"]["data"] for n in h]
bodies = [n["body"]["data"] for n in h]
v = eval(sys.argv[1])
print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)
' "$1"
}
# ---- without a session bus it waits, quietly ----
env -u DBUS_SESSION_BUS_ADDRESS XDG_RUNTIME_DIR="$T/none" "$NOTIFY" -s "$SOCK" 2>"$T/nobus.err" &
NB=$!
# ---- and before the daemon runs it waits for it ----
"$NOTIFY" -s "$SOCK" 2>"$T/notify.err" &
NPID=$!

soon_conf 9 12
start_daemon
wait_true shown '"Break soon ended" in summaries' 25 && ok || fail "dunst showed the end: $(shown summaries)"
S=$(shown summaries)
B=$(shown bodies)
echo "shown: $S"
echo "bodies: $B"
contains "the warning, with the name" "$S" '"Break soon starts in '
contains "the warning's body: its start and lists" "$B" "it blocks social until"
contains "the start" "$S" '"Break soon started"'
contains "the start's body: its end" "$B" "social is blocked until"
eq "warning, start, end in order" "$(shown '[s.split(" starts")[0] if "starts" in s else s for s in summaries]')" \
	'["Break soon", "Break soon started", "Break soon ended"]'
eq "the warning came 3 s ahead" "$(shown 'summaries[0] in ("Break soon starts in 3 s", "Break soon starts in 2 s")')" true
grep -q "waiting for it" "$T/notify.err" && ok || fail "it said it waits for the daemon: $(cat "$T/notify.err")"

# ---- a refused name: one notification for several queries ----
expect_rc 0 "a pause" smctl pause 1h
for _ in 1 2 3; do
	ip netns exec "$NS" dig +short +tries=1 +time=2 @127.0.0.153 instagram.com >/dev/null
done
wait_true shown '"instagram.com was refused" in summaries' 5 && ok || fail "dunst showed the refusal: $(shown summaries)"
eq "once" "$(shown 'summaries.count("instagram.com was refused")')" 1
contains "with until when" "$(shown 'bodies[summaries.index("instagram.com was refused")]')" "pause until "

# ---- across a kill -9 and a restart of the daemon ----
kill9_daemon
sleep 1
kill -0 "$NPID" && ok || fail "smbreak-notify keeps running without the daemon"
start_daemon
sleep 6 # it tries again every 5 s
expect_rc 0 "resume after the restart" smctl resume
wait_true shown '"Pause ended" in summaries' 10 && ok || fail "a notification after the restart: $(shown summaries)"

kill -0 "$NB" && ok || fail "without a session bus it does not exit"
kill "$NB"
wait "$NB"
eq "and stops on SIGTERM with 0" "$?" 0
eq "it said so once" "$(grep -c "no session bus" "$T/nobus.err")" 1
kill "$NPID"
wait "$NPID"
eq "smbreak-notify exits 0 on SIGTERM" "$?" 0
NPID=
stop_daemon
finish
