#!/bin/bash
# Friction for a reload: during a break with an unlock delay, a reload that
# loosens it is accepted but applies only after the delay (smctl says when,
# and watch sees it); a reload that only tightens applies at once; a newer
# reload takes a waiting one back.
. "$(dirname "$0")/lib.sh"
export TZ=UTC

write_conf() { # DOMAINS
	cat >"$CONF" <<CONF
[daemon]
intercept = no
control_group = smbreak-test-nogroup
[list social]
domains = $1
[break allday]
times = 00:00-24:00
lists = social
unlock_delay = 3s
CONF
}
blocked() { [ "$(js '"blocked" in j' check "$1")" = true ]; }

write_conf "a.example b.example"
start_daemon
check "b.example is blocked" blocked b.example

write_conf "a.example b.example c.example"
expect_rc 0 "a tightening reload" smctl reload
expect_in "configuration reloaded" "applies at once"
check "c.example is blocked at once" blocked c.example

write_conf "a.example c.example"
expect_rc 0 "a loosening reload is accepted" smctl reload
expect_in "applies at" "and says when it applies"
expect_in "would no longer block 'b.example'" "naming what it loosens"
check "b.example is still blocked during the delay" blocked b.example
sleep 3.5
check "after the delay b.example is free" sh -c '! '"$SMCTL"' -s '"$SOCK"' --json check b.example | grep -q "\"blocked\""'
grep -q "the delayed reload is in force" "$LOG" && ok || fail "the delayed reload's end is an event"

# A newer reload takes a waiting one back.
write_conf "c.example"
expect_rc 0 "another loosening reload" smctl reload
write_conf "a.example c.example"
expect_rc 0 "reloading the file as it was" smctl reload
expect_in "configuration reloaded" "is no loosening: it applies at once"
sleep 3.5
check "the taken-back reload never applied: a.example stays blocked" blocked a.example
stop_daemon

# A restart is no way around the delay: a loosening file waits it out too.
write_conf "c.example"
: >"$LOG"
start_daemon
grep -q "loosens a break with an unlock delay" "$LOG" && ok || fail "the start says the file waits"
check "a.example is still blocked after the restart" blocked a.example
wait_log "the delayed reload is in force" 10 && ok || fail "the file applies after the delay"
check "then a.example is free" sh -c '! '"$SMCTL"' -s '"$SOCK"' --json check a.example | grep -q "\"blocked\""'
cmp -s "$CONF" "$STATE/last-good.conf" && ok || fail "and it is the last good configuration"
stop_daemon
finish
