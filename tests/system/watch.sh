#!/bin/bash
# smctl watch as scripts use it: `--json` prints one object per event with
# its kind, name, lists, start, end and what remains; a break a few seconds
# ahead with `warn = 3s` is warned of, starts and ends; a blocked name is
# told once however often it is asked; watch reconnects across a kill -9
# and a restart of the daemon, says so, and `--once` exits after one event.
# The break is set at now + N seconds: the real clock, never stepped.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/soon.sh"
export TZ=UTC
command -v dig >/dev/null || {
	echo "skip: needs dig" >&2
	exit 77
}

soon_conf 5 8
start_daemon
"$SMCTL" -s "$SOCK" --json watch >"$T/watch.json" 2>"$T/watch.err" &
W=$!
# 'kinds' and 'ev KIND' over the lines watch printed so far.
jl() {
	python3 -c '
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
kinds = [e["kind"] for e in evs]
ev = lambda k: [e for e in evs if e["kind"] == k][0]
v = eval(sys.argv[2])
print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)
' "$T/watch.json" "$1"
}
OUT=$(smctl status)
expect_in "; warning at " "status says when the next break is warned of"
eq "and the JSON has warn_at, 3 s before it" "$(js 'j["next"]["start"] - j["next"]["warn_at"]' status)" 3
wait_true jl '"warning" in kinds' 8 && ok || fail "watch saw the warning"
OUT=$(smctl status)
check "within it, status says it starts in 1-3 s: $OUT" grep -Eq "^Next: +soon starts in [123] s, at " <<<"$OUT"
wait_true jl '"ended" in kinds' 15 && ok || fail "watch saw the break end: $(cat "$T/watch.json")"
eq "warning, started, ended in order" "$(jl '[k for k in kinds if k in ("warning", "started", "ended")]')" \
	'["warning", "started", "ended"]'
eq "the warning names the break and its lists" "$(jl '[ev("warning")["name"], ev("warning")["lists"]]')" \
	'["soon", ["social"]]'
eq "the warning has the start and end" "$(jl 'ev("warning")["end"] - ev("warning")["start"]')" 3
check "the warning came within warn of the start" test "$(jl 'ev("warning")["start"] - ev("warning")["now"]')" -le 3
check "remaining counts to the start" test "$(jl 'ev("warning")["remaining"]')" -le 3
eq "the start: its end and remaining" "$(jl 'ev("started")["end"] - ev("started")["now"] == ev("started")["remaining"]')" true
eq "whom is left out for everyone" "$(jl '"whom" in ev("started")')" false
eq "the end names the break" "$(jl 'ev("ended")["name"]')" soon
grep -q "break soon starts in 3 s" "$LOG" && ok || fail "the warning is logged: $(cat "$LOG")"

# ---- a refused name: one event per service however many queries ----
expect_rc 0 "a pause" smctl pause 1h
for _ in 1 2 3; do
	ip netns exec "$NS" dig +short +tries=1 +time=2 @127.0.0.153 instagram.com >/dev/null
	ip netns exec "$NS" dig +short +tries=1 +time=2 @127.0.0.153 www.instagram.com >/dev/null
done
wait_true jl '"blocked" in kinds' 3 && ok || fail "watch saw the refusal"
eq "one blocked event for six queries" "$(jl 'kinds.count("blocked")')" 1
eq "it names the name and the list" "$(jl '[ev("blocked")["domain"], ev("blocked")["name"]]')" \
	'["instagram.com", "social"]'
contains "and until when" "$(jl 'ev("blocked")["message"]')" "instagram.com was refused: pause until"

# ---- across a kill -9 and a restart ----
kill9_daemon
wait_true jl '"disconnected" in kinds' 5 && ok || fail "watch says the daemon went away"
kill -0 "$W" 2>/dev/null && ok || fail "watch keeps running without the daemon"
start_daemon
wait_true jl '"reconnected" in kinds' 8 && ok || fail "watch reconnected: $(cat "$T/watch.json")"
expect_rc 0 "resume after the restart" smctl resume
wait_true jl 'kinds[-1] == "ended" and "resumed" in kinds[kinds.index("reconnected"):]' 5 &&
	ok || fail "the restarted daemon's events reach the same watch: $(cat "$T/watch.json")"

# ---- --once, and the human form: one line per event ----
"$SMCTL" -s "$SOCK" watch --once >"$T/once.out" 2>&1 &
O=$!
"$SMCTL" -s "$SOCK" watch >"$T/human.out" 2>&1 &
H=$!
sleep 0.5
expect_rc 0 "a pause for --once" smctl pause 10m
for _ in $(seq 1 30); do kill -0 "$O" 2>/dev/null || break; sleep 0.1; done
kill -0 "$O" 2>/dev/null && fail "watch --once is still running" || ok
wait "$O"
eq "watch --once exits 0" "$?" 0
eq "--once printed one event" "$(grep -c "^[0-9][0-9]:" "$T/once.out")" 1
contains "--once printed the start" "$(cat "$T/once.out")" "start  pause started: lists social until"
kill "$W" "$H"
wait "$W"
eq "watch exits 0 on SIGTERM" "$?" 0
wait "$H" 2>/dev/null
contains "human form: the start" "$(cat "$T/human.out")" "start  pause started"
stop_daemon
finish
