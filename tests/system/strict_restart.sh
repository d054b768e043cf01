#!/bin/bash
# A broken config plus a restart cannot end a strict break: the daemon keeps
# the last good configuration in its state directory and, when a strict
# break is on, starts on it with the errors logged and shown by smctl
# status, until the file is fixed and reloaded. Without a strict break a
# broken file still fails the start, with a sentence.
. "$(dirname "$0")/lib.sh"
export TZ=UTC

cat >"$CONF" <<'EOF'
[daemon]
intercept = no
control_group = smbreak-test-nogroup
[list social]
domains = example.com
EOF

start_daemon
test -f "$STATE/last-good.conf" && ok || fail "the configuration in force is kept as last-good.conf"
cmp -s "$CONF" "$STATE/last-good.conf" && ok || fail "byte for byte"
expect_rc 0 "strict pause" smctl pause 30m --strict
stop_daemon

cp "$CONF" "$T/good.conf"
printf 'bogus = 1\n' >>"$CONF"
start_daemon
grep -q "a strict break is on: smbreakd starts on the last good configuration" "$LOG" && ok ||
	fail "the fallback is said loudly in the log"
grep -q "bogus" "$LOG" && ok || fail "with the file's errors"
[ "$(js '"strict" in j and j["in_force"] == ["social"]' status)" = true ] && ok ||
	fail "the strict pause goes on"
expect_rc 0 "status" smctl status
expect_in "running on the last good configuration" "smctl status says so"
expect_rc 1 "a reload of the still broken file is refused" smctl reload
cp "$T/good.conf" "$CONF"
printf '[list more]\ndomains = more.example\n' >>"$CONF"
expect_rc 0 "a reload of the fixed file" smctl reload
expect_rc 0 "status after the fix" smctl status
case "$OUT" in *"last good configuration"*) fail "the fallback note is gone after a good reload" ;; *) ok ;; esac
cmp -s "$CONF" "$STATE/last-good.conf" && ok || fail "the fixed file is the last good one now"
kill9_daemon

# A good file that loosens the strict break, and a restart: judged as a reload
# would be, so the daemon starts on the last good configuration instead.
cp "$CONF" "$T/good2.conf"
cat >"$CONF" <<'EOF'
[daemon]
intercept = no
control_group = smbreak-test-nogroup
[list social]
domains = other.example
[list more]
domains = more.example
EOF
: >"$LOG"
start_daemon
grep -q "would loosen a strict break in force" "$LOG" && ok || fail "the refused start is said in the log"
grep -q "list 'social' cannot lose domain 'example.com'" "$LOG" && ok || fail "with what it would lose"
[ "$(js '"blocked" in j' check example.com)" = true ] && ok ||
	fail "example.com stays blocked through a restart on a loosening file"
[ "$(js '"blocked" in j' check other.example)" = false ] && ok ||
	fail "the refused file's new name is not in force either"
expect_rc 0 "status" smctl status
expect_in "would loosen a strict break" "smctl status says why the file is not in force"
cmp -s "$T/good2.conf" "$STATE/last-good.conf" && ok || fail "the last good configuration is kept"
expect_rc 1 "a reload of the loosening file is refused too" smctl reload
stop_daemon
# A file that only tightens starts as it is, and becomes the last good one.
cp "$T/good2.conf" "$CONF"
printf '[list extra]\ndomains = extra.example\n' >>"$CONF"
: >"$LOG"
start_daemon
grep -q "would loosen" "$LOG" && fail "a tightening file is not refused" || ok
[ "$(js '"blocked" in j' check example.com)" = true ] && ok || fail "example.com still blocked"
[ "$(js '"blocked" in j' check extra.example)" = true ] && ok ||
	fail "the new list is blocked at once: the pause is for every list"
cmp -s "$CONF" "$STATE/last-good.conf" && ok || fail "the tightening file is the last good one"
kill9_daemon

# The state file deleted (and the last good configuration with it) before a
# restart: the table, where the strict break is enforced, keeps its end in
# the set `hold` on the kernel's clock, and the start restores it. (First
# a clean slate: the strict pause above, for every list, is held too.)
rm -f "$STATE/state"
ip netns exec "$NS" nft delete table inet smbreak
start_daemon
expect_rc 0 "a strict pause of one list" smctl pause 20m --strict --list social
eq "the table holds it: one element in set hold" \
	"$(nftj "[len(o['set'].get('elem', [])) for o in j if 'set' in o and o['set']['name'] == 'hold']")" "[1]"
grep -q "the table holds a strict break" "$LOG" && fail "a start with its state says nothing of it" || ok
holds() { nftj "[len(o['set'].get('elem', [])) for o in j if 'set' in o and o['set']['name'] == 'hold']"; }
ip netns exec "$NS" nft flush set inet smbreak hold
for _ in $(seq 1 40); do [ "$(holds)" = "[1]" ] && break; sleep 0.05; done
eq "a flushed hold set is put back while the daemon runs" "$(holds)" "[1]"
stop_daemon
rm -f "$STATE/state" "$STATE/last-good.conf"
: >"$LOG"
start_daemon
grep -q "the table holds a strict break that the state file does not (it was deleted or replaced): kept as a strict pause of social until" "$LOG" && ok ||
	fail "the restore is said loudly"
[ "$(js '"strict" in j and j["in_force"] == ["social"]' status)" = true ] && ok ||
	fail "the strict pause of social is back: $(smctl status)"
[ "$(js '"blocked" in j' check example.com)" = true ] && ok || fail "example.com blocked again"
[ "$(js '"blocked" in j' check more.example)" = false ] && ok || fail "only the held list: more is not"
expect_rc 1 "resume is refused: it is strict" smctl resume
kill9_daemon
rm -f "$STATE/state"
start_daemon
[ "$(js '"strict" in j and j["in_force"] == ["social"]' status)" = true ] && ok ||
	fail "after kill -9 and the state deleted again, still held"
kill9_daemon

# The state deleted and the held list emptied in the file: the start sees
# the table's hold, so the file is judged against it and refused.
cp "$CONF" "$T/held.conf"
rm -f "$STATE/state"
sed -i 's/^domains = example.com$/domains = other.example/' "$CONF"
: >"$LOG"
start_daemon
grep -q "would loosen a strict break in force" "$LOG" && ok ||
	fail "the emptied list is refused though the state is gone"
[ "$(js '"blocked" in j' check example.com)" = true ] && ok || fail "example.com still blocked"
kill9_daemon

# The state and the last good configuration deleted and the held list
# renamed: what it held is no longer known, so every list is held.
rm -f "$STATE/state" "$STATE/last-good.conf"
sed -i 's/^\[list social\]$/[list renamed]/' "$CONF"
: >"$LOG"
start_daemon
grep -q "every list: a held list is no longer in the configuration" "$LOG" && ok ||
	fail "the renamed list's hold brings back every list"
[ "$(js '"strict" in j and sorted(j["in_force"]) == ["extra", "more", "renamed"]' status)" = true ] &&
	ok || fail "every list strictly: $(smctl status)"
kill9_daemon
cp "$T/held.conf" "$CONF"

# No strict break: a broken file fails the start, saying what to do.
wipe_strict
printf 'bogus = 1\n' >>"$CONF"
expect_rc 1 "a broken file without a strict break fails the start" timeout 20 \
	ip netns exec "$NS" "$SMBREAKD" -f "$CONF" -s "$SOCK" --state-dir "$STATE" \
	--data-dir "$SMB_SOURCE_DIR/conf"
expect_in "no strict break is on: smbreakd does not start" "the failure says why"
finish
