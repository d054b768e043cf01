#!/bin/bash
# The working core end to end: smbreakd on a temporary config, state directory
# and socket, driven with smctl the way a user would: toggling, pauses with a
# length and `until`, strict refusals, reloads good and bad, permissions,
# restart after kill -9, a scheduled break that starts and ends on time, a
# clock step, SIGHUP, and --check-config with --schedule.
. "$(dirname "$0")/lib.sh"
export TZ=UTC

cat >"$CONF" <<'EOF'
[daemon]
pause_default = 20m
control_group = smbreak-test-nogroup

[list social]
domains = example.com example.org

[list news]
domains = news.example

[break soon]
days = daily
times = @SOON@
lists = social

[break locked]
days = daily
times = @LOCKED@
lists = news
strict = yes
EOF
# "soon" is re-timed below to start just after a restart; "locked" is a strict break
# that is not on now (it starts in 12 hours).
sed -i "s/@SOON@/$(clock_in 21600)-$(clock_in 21603)/; s/@LOCKED@/$(clock_in 43200)-$(clock_in 46800)/" "$CONF"

# --- the config checker -----------------------------------------------------
expect_rc 0 "check-config on a good file" "$SMBREAKD" --check-config -f "$CONF"
expect_in "configuration OK" "check-config says OK"
printf '[daemon]\npause_defualt = 1h\n[break x]\ntimes = 25:00-26:00\n' >"$T/bad.conf"
expect_rc 1 "check-config on a bad file" "$SMBREAKD" --check-config -f "$T/bad.conf"
expect_in "bad.conf:2:" "errors name file and line"
expect_in "pause_default" "unknown key gets a suggestion"
expect_in "bad.conf:4:" "all errors in one pass"
printf '[list social]\ndomains = example.com\n[break work]\ndays = mon-fri\ntimes = 09:00-12:00 13:00-17:30\nlists = social\n' >"$T/sched.conf"
expect_rc 0 "check-config --schedule" env TZ=America/New_York "$SMBREAKD" --check-config \
	-f "$T/sched.conf" --schedule --from 2026-03-08T00:00:00 --count 3
want='2026-03-09T09:00:00-04:00 start work
2026-03-09T12:00:00-04:00 end work
2026-03-09T13:00:00-04:00 start work'
[ "$OUT" = "$want" ] && ok || fail "schedule output: got '$OUT', want '$want'"

# --- smctl without a daemon -------------------------------------------------
expect_rc 3 "smctl with no daemon" smctl status
expect_in "not reachable" "says the daemon is not reachable"
expect_rc 2 "smctl usage error" smctl frobnicate
expect_rc 2 "smctl bad duration" smctl pause 10x

# --- start, status -----------------------------------------------------------
start_daemon
grep -q "group 'smbreak-test-nogroup' not found" "$LOG" && ok || fail "a missing control group is said at start"
check "socket is reachable by everyone" test "$(stat -c %a "$SOCK")" = 666
expect_rc 0 "status" smctl status
[ "$(js 'j["blocking"] if "blocking" in j else False' status)" = false ] && ok ||
	fail "nothing should be blocked at start"

# --- pause toggles, lengths, until ------------------------------------------
now=$(date +%s)
expect_rc 0 "pause toggles on" smctl pause
end=$(js 'j["breaks"][0]["end"]' status)
[ "$((end - now))" -ge 1195 ] && [ "$((end - now))" -le 1205 ] && ok ||
	fail "pause_default of 20m: end $end, now $now"
[ "$(js 'j["in_force"]' status)" = '["social", "news"]' ] && ok || fail "a bare pause blocks every list"
grep -q "pause started: lists social news" "$LOG" && ok || fail "pause start logged"
expect_rc 0 "pause toggles off" smctl pause
[ "$(js '"breaks" in j and len(j["breaks"])' status)" = false ] && ok || fail "toggle ended the pause"
expect_rc 1 "resume with no pause" smctl resume

now=$(date +%s)
expect_rc 0 "pause 45m" smctl pause 45m --list news
end=$(js 'j["breaks"][0]["end"]' status)
[ "$((end - now - 2700))" -ge -2 ] && [ "$((end - now - 2700))" -le 2 ] && ok || fail "pause 45m end"
[ "$(js 'j["in_force"]' status)" = '["news"]' ] && ok || fail "--list news only"
expect_rc 0 "pause 10m does not shorten" smctl pause 10m
end2=$(js 'j["breaks"][0]["end"]' status)
[ "$end2" = "$end" ] && ok || fail "a shorter pause must not shorten ($end2 vs $end)"
# --list or --strict with no length tightens the running pause, never ends it.
expect_rc 0 "pause --list with no length on a running pause" smctl pause --list social
[ "$(js 'j["in_force"]' status)" = '["social", "news"]' ] && ok || fail "--list adds a list"
[ "$(js 'j["breaks"][0]["end"]' status)" = "$end" ] && ok || fail "--list keeps the end"
expect_rc 0 "resume" smctl resume

# A strict pause extended by a longer non-strict one: only the first part is strict.
expect_rc 0 "strict 20m pause" smctl pause 20m --strict
expect_rc 0 "extended by a non-strict 1h" smctl pause 1h
expect_in "strict until" "the reply says when the strict part ends"
[ "$(js 'j["breaks"][0].get("strict", False)' status)" = true ] && ok || fail "the first part stays strict"
expect_rc 1 "resume within the strict part is refused" smctl resume
kill9_daemon
wipe_strict
start_daemon
expect_rc 0 "non-strict pause" smctl pause 30m
expect_rc 0 "pause --strict with no length tightens it" smctl pause --strict
[ "$(js '"breaks" in j and j["breaks"][0].get("strict", False)' status)" = true ] && ok ||
	fail "pause --strict made the running pause strict (and did not end it)"
kill9_daemon
wipe_strict
start_daemon

until_t=$(date -d "@$(($(date +%s) + 7200))" +%H:%M)
expect_rc 0 "pause until" smctl pause until "$until_t"
end=$(js 'j["breaks"][0]["end"]' status)
[ "$(date -d "@$end" +%H:%M:%S)" = "$until_t:00" ] && ok || fail "pause until $until_t ended at $end"
expect_rc 0 "resume a pause-until" smctl resume
expect_rc 2 "pause until a bad time" smctl pause until 25:99
expect_rc 2 "pause with an unknown list" smctl pause 5m --list nosuch

# --- permissions: read-only for everyone, changes need root or the group ------
if id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
	as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$SMCTL" -s "$SOCK" "$@"; }
	expect_rc 0 "status as nobody" as_nobody status
	expect_rc 1 "pause as nobody is refused" as_nobody pause 5m
	expect_in "permission" "the refusal says why"
	[ "$(js '"breaks" in j' status)" = false ] && ok || fail "the refused pause changed nothing"
else
	echo "skipping the permission checks: no nobody user or setpriv"
fi

# --- strict pause: resume refused, survives kill -9, blocks loosening reloads --
expect_rc 0 "strict pause" smctl pause 30m --strict
expect_rc 1 "resume of a strict pause is refused" smctl resume
expect_in "strict" "the refusal says it is strict"
expect_in "ends at" "the refusal says when it ends"
expect_rc 1 "toggle cannot end a strict pause" smctl pause
kill9_daemon
start_daemon
[ "$(js 'j["breaks"][0]["kind"] + " " + str(j["breaks"][0].get("strict", False))' status)" = "adhoc True" ] &&
	ok || fail "the strict pause survives kill -9"
grep -q "state: restored the pause" "$LOG" && ok || fail "restore logged"

cp "$CONF" "$T/conf.good"
sed -i 's/^domains = example.com example.org/domains = example.com/' "$CONF"
expect_rc 1 "reload that loosens a strict pause is refused" smctl reload
expect_in "cannot lose domain 'example.org'" "the refusal names what would loosen"
cp "$T/conf.good" "$CONF"
printf '\n[list extra]\ndomains = extra.example\n' >>"$CONF"
expect_rc 0 "reload that tightens is accepted" smctl reload
expect_in "control group 'smbreak-test-nogroup' not found" "the reload's reply warns of the missing group"
# A list file's bad line is skipped and reported, and loosens nothing.
printf 'filed.example\nbad..name\n' >"$T/filed.list"
printf '\n[list filed]\nfiles = %s\n' "$T/filed.list" >>"$CONF"
expect_rc 0 "a tightening reload whose list file has a bad line is accepted" smctl reload
expect_in "filed.list:2" "the skipped line is reported"
printf '\n[break broken]\ntimes = 99:00-10:00\n' >>"$CONF"
expect_rc 1 "reload of a broken file" smctl reload
expect_in "smbreak.conf:" "reload errors name the file and line"
expect_rc 0 "status still answers after a failed reload" smctl status
[ "$(js '"extra" in j["in_force"]' status)" = true ] && ok || fail "the good reload's list is in force"
cp "$T/conf.good" "$T/conf.restore"

# Strict state cannot be ended by moving on: wipe it by hand for the next part.
stop_daemon || fail "clean stop with SIGTERM"
check "socket removed on stop" test ! -e "$SOCK"
wipe_strict
cp "$T/conf.restore" "$CONF"

# --- a bad state file is set aside --------------------------------------------
mkdir -p "$STATE"
printf 'version 1\nthis is not a state\n' >"$STATE/state"
# Re-time the "soon" break so it starts a few seconds after this start.
sed -i "/^\[break soon\]/,/^lists/ s/^times = .*/times = $(clock_in 4)-$(clock_in 7)/" "$CONF"
start_daemon
check "unreadable state kept as state.bad" test -f "$STATE/state.bad"
grep -q "kept as state.bad" "$LOG" && ok || fail "state.bad logged"

# --- a scheduled break starts and ends on time --------------------------------
if wait_log "break soon started" 6; then ok; else fail "break soon did not start"; fi
start_at=$(date +%s)
[ "$(js '[b["name"] for b in j["breaks"] if b.get("on")]' status)" = '["soon"]' ] && ok ||
	fail "status shows the scheduled break on"
if wait_log "break soon ended" 5; then ok; else fail "break soon did not end"; fi
end_at=$(date +%s)
[ $((end_at - start_at)) -ge 2 ] && [ $((end_at - start_at)) -le 4 ] && ok ||
	fail "break soon lasted $((end_at - start_at)) s, want 3"

# --- skip: a non-strict scheduled break ends early; a strict one does not ----
sed -i "/^\[break soon\]/,/^lists/ s/^times = .*/times = $(clock_in -60)-$(clock_in 600)/" "$CONF"
expect_rc 0 "reload with soon on now" smctl reload
wait_log "break soon started" 3
expect_rc 0 "skip a scheduled break" smctl skip
expect_in "skipped soon" "skip names the break"
grep -q "break soon ended" "$LOG" && ok || fail "skip ends the break"
[ "$(js 'j.get("blocking", False)' status)" = false ] && ok || fail "nothing blocked after skip"
sed -i "/^\[break locked\]/,/^strict/ s/^times = .*/times = $(clock_in -60)-$(clock_in 600)/" "$CONF"
expect_rc 0 "reload with a strict break on now" smctl reload
expect_rc 1 "skip of a strict break is refused" smctl skip
expect_in "strict" "skip refusal says strict"
expect_rc 0 "schedule" smctl schedule --days 2
[ "$(js '[b["name"] for b in j["breaks"] if b.get("skipped")][:1]' schedule)" = '["soon"]' ] && ok ||
	fail "schedule marks the skipped occurrence"

# --- clock step and SIGHUP re-evaluate ----------------------------------------
if [ "$(id -u)" -eq 0 ]; then
	python3 -c 'import time; time.clock_settime(time.CLOCK_REALTIME, time.time())'
	if wait_log "the system clock was set" 3; then ok; else fail "clock step not noticed"; fi
else
	echo "skipping the clock step: needs root"
fi
kill -HUP "$DPID"
if wait_log "SIGHUP: reloading" 3; then ok; else fail "SIGHUP reload"; fi

stop_daemon || fail "clean stop"
finish
