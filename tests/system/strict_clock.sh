#!/bin/bash
# A strict scheduled break cannot be ended by moving local time: neither a
# timezone change (a private /etc, in the daemon's own mount namespace, whose
# localtime the test swaps as timedatectl would) nor the daemon's wall clock
# stepped forward (libfaketime on the daemon only, then SIGHUP). In both the
# break stays on, strict, for the time really left of it, and its rules stay
# in the table. The machine's own clock and zone are never touched.
. "$(dirname "$0")/lib.sh"

# The daemon must read the zone from /etc/localtime, not from TZ.
unset TZ
cp -a /etc "$T/etc"
ln -sfn /usr/share/zoneinfo/UTC "$T/etc/localtime"

# A strict break from a minute ago to 30 minutes ahead, in UTC.
hm() { date -u -d "@$(($(date +%s) + $1))" +%H:%M; }
cat >"$CONF" <<EOF
[daemon]
intercept = no
control_group = smbreak-test-nogroup
[list social]
domains = example.com
[break locked]
days = daily
times = $(hm -60)-$(hm 1800)
lists = social
strict = yes
EOF

# start_in_etc [ENV...]: the daemon in the test's netns with $T/etc as /etc.
start_in_etc() {
	ip netns exec "$NS" unshare -m sh -c 'mount --bind "$1" /etc && shift && exec env "$@"' \
		sh "$T/etc" "$@" "$SMBREAKD" -f "$CONF" -s "$SOCK" --state-dir "$STATE" \
		--data-dir "$SMB_SOURCE_DIR/conf" -d >>"$LOG" 2>&1 &
	DPID=$!
	for _ in $(seq 1 100); do
		smctl status >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	fail "daemon did not come up"
	exit 1
}

strict_on() {
	[ "$(js '"blocking" in j and "strict" in j and j["in_force"] == ["social"]' status)" = true ]
}
rules_on() {
	[ "$(nftj 'len(rules("block"))')" -gt 0 ] # none outside a break (enforce.sh)
}
left() { echo $(($(js 'j["breaks"][0]["end"] - j["now"]' status))); }

start_in_etc
strict_on && ok || fail "the strict break is on at start"
rules_on && ok || fail "its reject rules are in the table"

# --- a timezone change -----------------------------------------------------
# Karachi is UTC+5 all year: there, the window is long over.
ln -sfn /usr/share/zoneinfo/Asia/Karachi "$T/etc/localtime.new"
mv -T "$T/etc/localtime.new" "$T/etc/localtime"
wait_log "the timezone changed" 5 && ok || fail "the daemon saw the zone change"
sleep 1
strict_on && ok || fail "a zone change does not end a strict break"
rules_on && ok || fail "its rules stay"
l=$(left)
[ "$l" -gt 1500 ] && [ "$l" -le 1800 ] && ok || fail "it runs for the time really left ($l s)"
expect_rc 1 "skip is still refused" smctl skip
ln -sfn /usr/share/zoneinfo/UTC "$T/etc/localtime.new"
mv -T "$T/etc/localtime.new" "$T/etc/localtime"
wait_log "the timezone changed" 5
kill9_daemon

# --- the daemon's clock stepped forward ------------------------------------
LIBFT=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -n1)
if [ -z "$LIBFT" ]; then
	echo "skipping the clock step: no libfaketime (Debian's libfaketime)"
else
	echo "+0" >"$T/faketime"
	start_in_etc LD_PRELOAD="$LIBFT" FAKETIME_TIMESTAMP_FILE="$T/faketime" \
		FAKETIME_NO_CACHE=1 DONT_FAKE_MONOTONIC=1
	strict_on && ok || fail "strict break on after a restart under libfaketime"
	echo "+2h" >"$T/faketime"
	kill -HUP "$DPID"
	wait_log "reload: " 5
	sleep 1
	strict_on && ok || fail "a clock stepped 2 h forward does not end a strict break"
	rules_on && ok || fail "its rules stay after the step"
	l=$(left)
	[ "$l" -gt 1500 ] && [ "$l" -le 1800 ] && ok || fail "still the time really left ($l s)"
	grep -q "^hold locked " "$STATE/state" && ok || fail "the hold is in the state file"
	kill9_daemon
fi
finish
