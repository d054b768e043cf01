#!/bin/bash
# The daemon's nftables table through its lifecycle, as `nft -j list` sees it:
# created at start with its sets and no reject rules, rules in while a pause
# is on and out after it, counts in `smctl status`, put back when deleted by
# hand, exactly one table after a
# kill -9 and a restart, removed on a clean stop, and kept (rules and sets)
# when the daemon stops during a strict break.
. "$(dirname "$0")/lib.sh"
export TZ=UTC

cat >"$CONF" <<'CONF'
[list social]
domains = example.com
CONF

tables() { ip netns exec "$NS" nft -j list tables | python3 -c '
import json, sys
print(sum(1 for o in json.load(sys.stdin)["nftables"] if "table" in o and o["table"]["name"] == "smbreak"))'; }

# A stale table from a crash is replaced, not duplicated.
ip netns exec "$NS" nft add table inet smbreak
ip netns exec "$NS" nft add chain inet smbreak stale
start_daemon
eq "one table at start" "$(tables)" 1
eq "the stale chain is gone" "$(nftj 'any(o.get("chain", {}).get("name") == "stale" for o in j)')" false
eq "sets created" "$(nftj 'sorted(o["set"]["name"] for o in j if "set" in o)')" \
	'["endpoints4", "endpoints6", "hold", "learned4_social", "learned6_social", "resolvers4", "resolvers6"]'
eq "no reject rules outside a break" "$(nftj 'len(rules("block"))')" 0
eq "status: no reject rules" "$(js '[j["counters"]["reject_rules"]]' status)" '[0]'

# A pause puts the reject rules in; resume takes them out; the sets stay.
expect_rc 0 "pause" smctl pause 10m
check "reject rules during a pause" test "$(nftj 'len(rules("block"))')" -gt 0
eq "the rules look up both learned sets" \
	"$(nftj 'sorted({e["match"]["right"] for r in rules("block") for e in r["expr"] if "match" in e and isinstance(e["match"]["right"], str)} & {"@learned4_social", "@learned6_social"})')" \
	'["@learned4_social", "@learned6_social"]'
check "status counts the rules" test "$(js 'j["counters"]["reject_rules"]' status)" -gt 0
grep -q "nft: reject rules in force" "$LOG" && ok || fail "rules in force logged"
expect_rc 0 "resume" smctl resume
eq "no reject rules after the pause" "$(nftj 'len(rules("block"))')" 0
eq "sets kept across the break" "$(nftj 'len([o for o in j if "set" in o])')" 7

# A table deleted by hand is put back at once (tamper.sh has the details),
# with a log line, and the next change goes in as usual.
ip netns exec "$NS" nft delete table inet smbreak
wait_log "not by smbreakd; restored" 2 && ok || fail "restore logged"
eq "the table is back" "$(tables)" 1
expect_rc 0 "pause after the table was deleted by hand" smctl pause 5m
check "with its reject rules" test "$(nftj 'len(rules("block"))')" -gt 0
expect_rc 0 "resume" smctl resume

# kill -9 during a pause, then a restart: one table, no duplicated rules.
expect_rc 0 "pause again" smctl pause 10m
n_rules=$(nftj 'len(rules("block"))')
kill9_daemon
start_daemon
eq "one table after kill -9 and restart" "$(tables)" 1
eq "the restored pause has the same rules, once" "$(nftj 'len(rules("block"))')" "$n_rules"
expect_rc 0 "resume after restart" smctl resume

# A clean stop removes the table.
stop_daemon || fail "clean stop"
eq "no table after a clean stop" "$(tables)" 0

# Stopping during a strict pause leaves the rules and sets in place.
start_daemon
expect_rc 0 "strict pause" smctl pause 10m --strict
stop_daemon || fail "clean stop during a strict pause"
eq "table kept during a strict pause" "$(tables)" 1
check "reject rules kept during a strict pause" test "$(nftj 'len(rules("block"))')" -gt 0
grep -q "a strict break is on: its rules and addresses stay" "$LOG" && ok || fail "strict stop logged"
# The next start takes the table over (replaced, still one) and keeps blocking.
start_daemon
eq "one table after restarting into the strict pause" "$(tables)" 1
check "rules back in force" test "$(nftj 'len(rules("block"))')" -gt 0

# A second daemon in the same namespace, or --cleanup, changes nothing while
# one runs, and says which.
before=$(ip netns exec "$NS" nft -j list table inet smbreak | python3 -c 'import json,sys; print(len([o for o in json.load(sys.stdin)["nftables"] if "rule" in o]))')
expect_rc 1 "a second daemon refuses" timeout 20 ip netns exec "$NS" "$SMBREAKD" -f "$CONF" \
	-s "$T/second.sock" --state-dir "$T/second" --data-dir "$SMB_SOURCE_DIR/conf"
expect_in "another smbreakd (pid $DPID) is running in this network namespace" "it names the running one"
expect_rc 1 "--cleanup refuses while a daemon runs" ip netns exec "$NS" "$SMBREAKD" --cleanup
expect_in "(pid $DPID) is running" "--cleanup names it"
after=$(ip netns exec "$NS" nft -j list table inet smbreak | python3 -c 'import json,sys; print(len([o for o in json.load(sys.stdin)["nftables"] if "rule" in o]))')
eq "the running daemon's table is untouched" "$after" "$before"
expect_rc 0 "the running daemon still answers" smctl status
kill9_daemon
finish
