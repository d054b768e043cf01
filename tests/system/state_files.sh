#!/bin/bash
# The state file cannot be turned against the daemon: a state path that is a
# directory, a symbolic link loop or a FIFO is set aside (never followed,
# never waited on) and the daemon starts with its table; a hand-written
# ten-year strict pause runs the 30 days a pause can; and a full state disk
# does not trap the user in a pause that is not strict (resume applies, the
# save is retried until it lands), while a strict pause that could not be
# saved is refused.
. "$(dirname "$0")/lib.sh"
export TZ=UTC

cat >"$CONF" <<'EOF'
[daemon]
intercept = no
control_group = smbreak-test-nogroup
[list social]
domains = example.com
EOF

# starts_with_bad_state KIND: the daemon comes up, sets the thing aside, and
# has its table.
starts_with_bad_state() {
	start_daemon
	wait_log "kept as state.bad" 5 && ok || fail "$1 in place of the state file is set aside"
	expect_rc 0 "status answers with $1 set aside" smctl status
	[ "$(nftj 'any("table" in o for o in j)')" = true ] && ok || fail "the table is there ($1)"
	expect_rc 0 "a pause is saved after $1" smctl pause 5m
	test -f "$STATE/state" && ok || fail "a regular state file is written after $1"
	stop_daemon
	rm -rf "$STATE"/state*
}

mkdir -p "$STATE/state"
starts_with_bad_state "a directory"
ln -s state "$STATE/state"
starts_with_bad_state "a symbolic link loop"
mkfifo "$STATE/state"
starts_with_bad_state "a FIFO"

# --- a hand-written ten-year strict pause: cut to the maximum ---------------
now=$(date +%s)
printf 'version 1\nadhoc %d %d 1 0 0 - *\n' "$now" $((now + 10 * 365 * 86400)) >"$STATE/state"
start_daemon
end=$(js 'j["breaks"][0]["end"]' status)
[ "$end" -le $((now + 30 * 86400 + 5)) ] && ok || fail "the pause is cut to 30 days (ends $end)"
[ "$(js '"strict" in j' status)" = true ] && ok || fail "and stays strict"
wait_log "cut to that" 1 && ok || fail "the cut is logged"
kill9_daemon
wipe_strict

# --- a full state disk ------------------------------------------------------
FULL=$T/full
mkdir -p "$FULL"
mount -t tmpfs -o size=64k tmpfs "$FULL" || {
	echo "skip: cannot mount a tmpfs for the full-disk case" >&2
	finish
}
trap 'umount "$FULL" 2>/dev/null; cleanup' EXIT
STATE=$FULL/state
start_daemon
expect_rc 0 "a pause on a state disk with room" smctl pause 30m
dd if=/dev/zero of="$FULL/fill" bs=4k 2>/dev/null
expect_rc 0 "resume of a non-strict pause on a full disk applies" smctl resume
expect_in "not yet saved" "and says it is not saved yet"
[ "$(js '"breaks" in j' status)" = false ] && ok || fail "the pause is over"
expect_rc 1 "a strict pause that cannot be saved is refused" smctl pause 10m --strict
expect_in "strict pause must survive a restart" "the refusal says why"
[ "$(js '"breaks" in j' status)" = false ] && ok || fail "the refused pause changed nothing"
grep -q "^adhoc" "$STATE/state" && ok || fail "the file still holds the old pause (the disk was full)"
rm -f "$FULL/fill"
wait_log "written again" 15 && ok || fail "the save is retried once there is room"
grep -q "^adhoc" "$STATE/state" && fail "the retried save has the pause ended" || ok
stop_daemon
umount "$FULL"
finish
