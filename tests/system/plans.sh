#!/bin/bash
# Breaks in time, driven with smctl as a user would (issue 18): a planned
# pause survives kill -9 and a restart and starts on time; cancel drops a
# strict plan; focus cycles of a few seconds show "cycle N of M"; an unlock
# delay ends a pause only after it, and resume --cancel or a pause takes it
# back, each step an event for smctl watch; stats keeps the day's history.
. "$(dirname "$0")/lib.sh"
export TZ=UTC

cat >"$CONF" <<CONF
[daemon]
intercept = no
control_group = smbreak-test-nogroup
[list social]
domains = example.com
[list news]
domains = news.example
[break long]
from = $(date_in -3600)
until = $(date_in 3600)
lists = news
[break short]
from = $(date_in 1)
until = $(date_in 3)
lists = news
CONF
start_daemon

# wait_for EXPR SECONDS: until EXPR over `smctl --json status` is true.
wait_for() {
	for _ in $(seq 1 $(($2 * 10))); do
		[ "$(js "$1" status)" = true ] && return 0
		sleep 0.1
	done
	return 1
}
SOCIAL='"social" in j.get("in_force", [])'

# ---- a planned pause: kill -9, restart, it starts on time ----
expect_rc 0 "pause --at" smctl pause --at "$(clock_in 8)" 4s --list social
expect_in "pause 1 planned from " "the reply names the plan and its id"
expect_in "(smctl cancel 1 drops it)" "and how to drop it"
START=$(js '[b["start"] for b in j["breaks"] if b["kind"] == "planned"][0]' schedule)
eq "schedule lists it with its id" "$(js '[b.get("id") for b in j["breaks"] if b["kind"] == "planned"]' schedule)" "[1]"
kill9_daemon
start_daemon
eq "the plan survives kill -9" "$(js '[b.get("id") for b in j["breaks"] if b["kind"] == "planned"]' schedule)" "[1]"
[ "$(js "$SOCIAL" status)" = false ] && ok || fail "the plan is not on before its start"
wait_for "$SOCIAL" 10 && ok || fail "the planned pause started"
NOW=$(date +%s)
check "not before its start ($NOW >= $START)" test "$NOW" -ge "$START"
check "and on time ($NOW <= $START + 2)" test "$NOW" -le $((START + 2))
wait_for "not $SOCIAL" 8 && ok || fail "the planned pause ended after its 4s"

# ---- cancel drops a plan before it starts, a strict one too ----
ID=$(js 'j["id"]' pause --at "$(clock_in 60)" 10s --strict)
eq "a strict plan gets the next id" "$ID" 2
expect_rc 0 "cancel a strict plan" smctl cancel "$ID"
expect_in "planned pause 2 (from " "says which it dropped"
eq "schedule has no plan left" "$(js '[b for b in j["breaks"] if b["kind"] == "planned"]' schedule)" "[]"
expect_rc 1 "cancel it again" smctl cancel "$ID"
expect_in "no planned pause 2" "says there is none"
expect_rc 2 "cancel without an id" smctl cancel

# ---- focus cycles: status says which ----
expect_rc 0 "cycles" smctl pause 3s --cycles 2 --rest 2s --list social
expect_in "2 cycles of 3s with 2s rests" "the reply says what was planned"
expect_rc 0 "status in the first cycle" smctl status
expect_in "cycle 1 of 2" "status shows cycle 1 of 2"
wait_for '[b.get("cycle") for b in j.get("breaks", []) if b["kind"] == "adhoc"] == [2]' 8 &&
	ok || fail "the second cycle started"
expect_rc 0 "status in the second cycle" smctl status
expect_in "cycle 2 of 2" "status shows cycle 2 of 2"
wait_for "not $SOCIAL" 6 && ok || fail "the cycles ended"

# ---- an unlock delay: resume waits, pause or resume --cancel takes it back ----
smctl watch >"$T/watch.out" 2>&1 &
WATCH=$!
sleep 0.3
expect_rc 0 "pause with an unlock delay" smctl pause 1h --unlock-delay 3s --list social
expect_in "unlock delay 3s" "the reply says the delay"
expect_rc 0 "resume asked" smctl resume
expect_in "after its unlock delay" "resume says it waits"
[ "$(js "$SOCIAL" status)" = true ] && ok || fail "the pause is still on after resume"
expect_rc 0 "a pause takes it back" smctl pause --list social
eq "no resume waits" "$(js '[b.get("unlock_at") for b in j["breaks"] if b["kind"] == "adhoc"]' status)" "[null]"
expect_rc 1 "resume --cancel with none waiting" smctl resume --cancel
expect_rc 0 "resume again" smctl resume
expect_rc 0 "resume --cancel" smctl resume --cancel
expect_in "resume taken back" "says it is taken back"
ASKED=$(date +%s) # before the request: the daemon's own instant is no earlier
expect_rc 0 "resume once more" smctl resume
sleep 1.5
[ "$(js "$SOCIAL" status)" = true ] && ok || fail "the pause is on within its delay"
wait_for "not $SOCIAL" 4 && ok || fail "the pause ended after its unlock delay"
check "not before it ($(date +%s) >= $ASKED + 3)" test "$(date +%s)" -ge $((ASKED + 3))
sleep 0.3
kill "$WATCH"
wait "$WATCH" 2>/dev/null
W=$(cat "$T/watch.out")
contains "watch: resume asked" "$W" "unlock resume asked: the pause ends at"
contains "watch: taken back by a pause" "$W" "relock resume taken back by a pause"
contains "watch: taken back by resume --cancel" "$W" "relock resume taken back: the pause runs until"
contains "watch: the delay over" "$W" "unlock the unlock delay is over: the pause ends"

# ---- stats: breaks kept, ended early, pauses taken ----
expect_rc 0 "a pause" smctl pause 1h
expect_rc 0 "resume at once" smctl resume
expect_rc 0 "skip the long break" smctl skip
H=$(js '[sum(d[k] for d in j["per_day"]) for k in ("kept", "ended_early", "pauses")]' stats)
# kept: short, the planned pause, two cycles; early: the unlock, the resume,
# the skip; pauses: the plan, two cycles, the delayed one, the last one
eq "history in stats --json" "$H" "[4, 3, 5]"
expect_rc 0 "stats" smctl stats
expect_in "kept early pauses" "stats shows the history"
expect_in "     4     3      5  ####xxx" "with a bar"
stop_daemon
expect_rc 0 "the history is in the stats file" grep -q ":kept 4" "$STATE/stats"
finish
