#!/bin/bash
# The control socket under abuse: smbreakd on a temporary config, state
# directory and socket, then clients that send 1 MB of garbage, random bytes,
# bad headers (huge length, bad version, malformed), that connect and never
# speak, 500 at once, pipeline without reading, and watch without reading.
# After each, `smctl status` must still answer promptly; the daemon's memory
# must stay bounded, and it must be alive and stop cleanly at the end.
# The abusive clients (control_abuse.py) run as nobody when this runs as root,
# so the per-uid connection bound leaves room for root's smctl.
. "$(dirname "$0")/lib.sh"

PY=$(command -v python3)
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3 # reachable by nobody
HELPER=$(dirname "$0")/control_abuse.py
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
	attacker() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$PY" "$HELPER" "$SOCK" "$@"; }
	as_root=1
else
	attacker() { "$PY" "$HELPER" "$SOCK" "$@"; }
	as_root=
	echo "not root: abusive clients share smctl's uid; checks while they hold connections skipped"
fi

cat >"$CONF" <<'EOF'
[daemon]
pause_default = 20m
control_group = smbreak-test-nogroup

[list social]
domains = example.com

[break evening]
days = daily
times = 23:00-23:30
lists = social
EOF

rss_kb() {
	awk '/^VmRSS:/ {print $2}' "/proc/$DPID/status"
}

RSS_MAX=0
note_rss() {
	local r
	r=$(rss_kb)
	[ -n "$r" ] && [ "$r" -gt "$RSS_MAX" ] && RSS_MAX=$r
}

# status_prompt WHAT: smctl status answers OK within 2 s.
status_prompt() {
	local t0 t1 ms rc=0
	t0=$(date +%s%N)
	timeout 10 "$SMCTL" -s "$SOCK" status >/dev/null 2>"$T/status.err" || rc=$?
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))
	if [ "$rc" -eq 0 ] && [ "$ms" -lt 2000 ]; then
		ok
	else
		fail "status after $1: exit $rc in $ms ms: $(cat "$T/status.err")"
	fi
	note_rss
}

alive() {
	if kill -0 "$DPID" 2>/dev/null; then ok; else fail "daemon died during $1"; fi
}

# abuse WHAT ARGS...: runs one abusive client; it must report success.
abuse() {
	local out rc=0
	out=$(attacker "$@" 2>&1) || rc=$?
	echo "$out"
	if [ "$rc" -eq 0 ]; then ok; else fail "$1 $2: $out"; fi
	alive "$1"
	status_prompt "$1 ${2:-}"
}

start_daemon
status_prompt "start"
RSS_START=$(rss_kb)
echo "daemon RSS at start: ${RSS_START} kB"

# --- bytes that are not the protocol ----------------------------------------
abuse garbage 1048576
abuse random 50

# --- bad headers --------------------------------------------------------------
abuse header huge
abuse header over
abuse header badversion
abuse header malformed
abuse header unknown

# --- 500 clients at once --------------------------------------------------------
abuse many 500
grep -q "refusing one more" "$LOG" && ok || fail "refused connections are logged (debug)"

# --- silent clients: held, never speaking, closed after the idle timeout ------
mkdir -m 1777 "$T/shared" # writable by the attacker as nobody
READY=$T/shared/ready
attacker hold 40 14 "$READY" >"$T/hold.out" 2>&1 &
HOLD=$!
for _ in $(seq 1 100); do
	[ -s "$READY" ] && break
	sleep 0.05
done
check "silent clients connected" test -s "$READY"
if [ -n "$as_root" ] && [ -s "$READY" ]; then
	read -r served busy <"$READY"
	[ "$served" -eq 32 ] && [ "$busy" -eq 8 ] && ok ||
		fail "one uid holds at most 32 connections: served $served, busy $busy"
	# Root still gets in while nobody sits on its share.
	status_prompt "40 silent clients"
fi
wait "$HOLD" && ok || fail "hold: $(cat "$T/hold.out")"
cat "$T/hold.out"
if grep -q "closed idle after" "$T/hold.out"; then
	idle=$(sed -n 's/.*, \([0-9]*\) closed idle after \([0-9.]*\)s/\1 \2/p' "$T/hold.out")
	set -- $idle
	[ "$1" -eq "${served:-$1}" ] && ok || fail "every silent client is closed: $idle"
	secs=${2%.*}
	[ "$secs" -ge 9 ] && [ "$secs" -le 12 ] && ok || fail "idle timeout took ${2}s, want about 10"
fi
alive "silent clients"
status_prompt "silent clients"

# --- pipelining without reading: held back, memory bounded ---------------------
attacker pipeline 200000 4 >"$T/pipe.out" 2>&1 &
PIPE=$!
for _ in $(seq 1 20); do
	sleep 0.2
	note_rss
done
status_prompt "a client pipelining without reading"
wait "$PIPE" && ok || fail "pipeline: $(cat "$T/pipe.out")"
cat "$T/pipe.out"

# --- a watcher that never reads, while events happen ---------------------------
attacker slowwatch 6 >"$T/watch.out" 2>&1 &
WATCH=$!
sleep 0.3
for _ in $(seq 1 20); do
	"$SMCTL" -s "$SOCK" pause 5m >/dev/null || fail "pause with a slow watcher"
	"$SMCTL" -s "$SOCK" resume >/dev/null || fail "resume with a slow watcher"
done
status_prompt "a watcher that does not read"
wait "$WATCH"
alive "slow watcher"

# --- a watcher that reads gets the events --------------------------------------
"$SMCTL" -s "$SOCK" watch >"$T/events" 2>&1 &
W=$!
sleep 0.3
"$SMCTL" -s "$SOCK" pause 5m >/dev/null
"$SMCTL" -s "$SOCK" resume >/dev/null
sleep 0.3
kill -INT "$W"
wait "$W" && ok || fail "smctl watch exits 0 on SIGINT"
grep -q "pause started" "$T/events" && ok || fail "watch shows the pause: $(cat "$T/events")"

# --- smctl itself: JSON, exit codes, refusals ---------------------------------
for cmd in status schedule lists; do
	"$SMCTL" -s "$SOCK" --json $cmd >"$T/j" && ok || fail "smctl --json $cmd"
	"$PY" -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/j" && ok ||
		fail "smctl --json $cmd is not JSON: $(cat "$T/j")"
done
[ "$(js 'j["breaks"][0]["name"] + " " + str(type(j["breaks"][0]["start"]).__name__)' schedule)" = "evening int" ] &&
	ok || fail "schedule JSON: breaks is an array of objects with epoch times"
[ "$(js 'j["lists"]' lists)" = '["social"]' ] && ok || fail "a single list is still an array"
expect_rc 0 "smctl --help" "$SMCTL" --help
expect_in "usage: smctl" "help text"
expect_rc 0 "smctl --version" "$SMCTL" --version
expect_in "smctl " "version text"
expect_rc 2 "unknown command" smctl frobnicate
expect_rc 2 "bad duration" smctl pause 10x
expect_rc 2 "a time without until" smctl pause 12:00
expect_in "until 12:00" "the usage error suggests 'until'"
expect_rc 2 "bad until" smctl pause until 24:00
expect_rc 2 "bad --days" smctl schedule --days 0
expect_rc 2 "unknown option" smctl status --frob
expect_rc 2 "daemon-side usage error" smctl pause 5m --list nosuch
expect_rc 2 "zero pause" smctl pause 0s
if [ -n "$as_root" ]; then
	expect_rc 1 "pause as nobody" setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$SMCTL" -s "$SOCK" pause 5m
	expect_in "permission denied: pausing needs root" "the refusal says why"
	expect_rc 0 "status as nobody" setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$SMCTL" -s "$SOCK" status
fi
expect_rc 3 "no socket" "$SMCTL" -s "$T/nothing.sock" status
expect_in "Start it with: systemctl start smbreakd" "says how to start it"
"$PY" "$HELPER" "$T/mute.sock" muteserver 14 &
MUTE=$!
for _ in $(seq 1 50); do
	[ -S "$T/mute.sock" ] && break
	sleep 0.05
done
t0=$(date +%s)
expect_rc 3 "a daemon that never answers" "$SMCTL" -s "$T/mute.sock" status
t1=$(date +%s)
expect_in "no answer" "says there was no answer"
[ $((t1 - t0)) -ge 9 ] && [ $((t1 - t0)) -le 12 ] && ok || fail "reply timeout took $((t1 - t0)) s"
wait "$MUTE"

# --- the end: alive, bounded, clean stop ---------------------------------------
note_rss
echo "daemon RSS: start ${RSS_START} kB, peak ${RSS_MAX} kB, now $(rss_kb) kB"
# AddressSanitizer keeps freed memory in quarantine (up to 256 MB): the bound
# means something only in a plain build.
if [ "${SMB_SANITIZED:-0}" = 1 ]; then
	echo "not checking the RSS bound under AddressSanitizer"
else
	[ $((RSS_MAX - RSS_START)) -lt 32768 ] && ok ||
		fail "daemon RSS grew by $((RSS_MAX - RSS_START)) kB under abuse (bound 32 MB)"
fi
alive "the whole test"
status_prompt "everything"
stop_daemon && ok || fail "clean stop after abuse"
check "socket removed on stop" test ! -e "$SOCK"
finish
