#!/bin/bash
# A dated break (from/until instead of days/times) a few seconds ahead starts
# and ends on time, shows in smctl schedule and status, and a past one is
# inert and noted by --check-config.
. "$(dirname "$0")/lib.sh"
export TZ=UTC

cat >"$CONF" <<CONF
[daemon]
intercept = no
control_group = smbreak-test-nogroup
[list social]
domains = example.com
[break soon]
from = $(date_in 3)
until = $(date_in 6)
lists = social
[break past]
from = 2025-01-01 10:00
until = 2025-01-02 10:00
CONF
OUT=$("$SMBREAKD" --check-config -f "$CONF" --data-dir "$SMB_SOURCE_DIR/conf")
expect_in "note: break 'past' ends in the past" "--check-config notes the past break"
start_daemon
[ "$(js '"blocking" in j' status)" = false ] && ok || fail "not blocking before from"
[ "$(js '[b["name"] for b in j["breaks"]]' schedule)" = '["soon"]' ] && ok ||
	fail "smctl schedule lists the dated break, not the past one"

wait_until() { # EXPR SECONDS
	for _ in $(seq 1 $(($2 * 10))); do
		[ "$(js "$1" status)" = true ] && return 0
		sleep 0.1
	done
	return 1
}
wait_until '"blocking" in j' 6 && ok || fail "the dated break started"
grep -q "break soon started" "$LOG" && ok || fail "its start is logged"
wait_until '"blocking" not in j' 6 && ok || fail "the dated break ended"
grep -q "break soon ended" "$LOG" && ok || fail "its end is logged"
[ "$(js '"next" in j' status)" = false ] && ok || fail "nothing is next after it"
stop_daemon
finish
