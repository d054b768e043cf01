#!/bin/bash
# An allowance of 2 minutes a day, measured from traffic: the kernel's usage
# rule (read back with `nft -j`) logs a download from a learned address of
# the list at a few hundred KB/s, and the daemon counts its minute; small
# requests once a second (keep-alives, far below active_rate) count nothing;
# the second minute used up starts the break at the end of that minute
# (`smctl status`, the download refused, the name NXDOMAIN); a restart keeps
# the count; a reload that raises a strict allowance's per_day or removes it
# is refused. `smctl --json watch` sees the warning of an allowance of 3m
# with warn 1m after its second minute and not before, and that of the 2m
# one (the [daemon] warn, 5m, is more than its budget) at its first.
#
# Time: the daemon runs on a fake clock stepped a minute at a time
# (allowance_lib.sh), so the test takes some 20 s.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns_upstream.sh"
. "$(dirname "$0")/hostlab.sh"
. "$(dirname "$0")/allowance_lib.sh"
WATCH=
trap '[ -n "$ALLOW_WEB" ] && kill "$ALLOW_WEB"; [ -n "$WATCH" ] && kill "$WATCH"; lab_down; cleanup' EXIT
lab_up || { fail "the test network"; finish; exit 1; }
allowance_web
allowance_conf "[allowance social-time]
lists = social
per_day = 2m

[allowance kept]
lists = social
per_day = 10m
strict = yes

[allowance warned]
lists = social
per_day = 3m
warn = 1m"

# warnings NAME: the warning events for allowance NAME the watch has seen,
# as [used, budget, whether it runs out within 2 minutes].
warnings() {
	python3 -c '
import json, sys
print([[e.get("used"), e.get("budget"), 0 < e.get("remaining", 0) <= 120] for e in map(json.loads, open(sys.argv[1]))
       if e.get("kind") == "warning" and e.get("name") == sys.argv[2]])' "$T/watch.json" "$1"
}
# wait_warned NAME: up to 5 s for a warning of NAME.
wait_warned() {
	for _ in $(seq 1 50); do
		[ "$(warnings "$1")" != "[]" ] && return 0
		sleep 0.1
	done
	return 1
}
get() { in_ns curl -s -o /dev/null -m "$2" --limit-rate "$3" -w '%{http_code}' "http://$UP_LISTED_A:8081/$1"; }

start_daemon
smctl --json watch >"$T/watch.json" 2>"$T/watch.err" &
WATCH=$!
eq "the listed name resolves (and its address is learned)" \
	"$(in_ns dig +short @127.0.0.153 "$UP_LISTED" A)" "$UP_LISTED_A"
eq "the usage chain sends the list's learned sets to each allowance's chain" \
	"$(nftj 'sorted({(e["match"]["right"], r["expr"][-1]["jump"]["target"]) for r in rules("usage") for e in r["expr"] if "match" in e and isinstance(e["match"]["right"], str)})')" \
	'[["@learned4_social", "usage_0"], ["@learned4_social", "usage_1"], ["@learned4_social", "usage_2"], ["@learned6_social", "usage_0"], ["@learned6_social", "usage_1"], ["@learned6_social", "usage_2"]]'
eq "its rule: above active_rate, once a minute, to the NFLOG group" \
	"$(nftj '[[list(e)[0] for e in r["expr"]] for r in rules("usage_0")]')" '[["limit", "limit", "log"]]'
eq "the byte rate is active_rate's default, over" \
	"$(nftj '[[e["limit"]["rate"], e["limit"]["per"], e["limit"].get("inv", False), e["limit"].get("rate_unit")] for r in rules("usage_0") for e in r["expr"] if "limit" in e][0]')" \
	'[40000, "second", true, "bytes"]'
eq "allowances for everyone need no conntrack labels, nor an output chain" \
	"$(nftj '[o["chain"]["name"] for o in j if "chain" in o and o["chain"]["name"] == "usage_output"] + [r for r in rules("usage_0") if "ct" in json.dumps(r)]')" '[]'
eq "the log names the allowance" \
	"$(nftj '[e["log"]["prefix"] for r in rules("usage_0") for e in r["expr"] if "log" in e][0]')" \
	'smbreak-allowance social-time'

# Keep-alives: a small request a second for 8 s costs nothing.
for _ in $(seq 1 8); do get small 2 1M >/dev/null; sleep 1; done
eq "small requests once a second use nothing" "$(used social-time)" 0

# A download at 300 KB/s: the first minute.
get big 3 300k >/dev/null
wait_used social-time 1 && ok || fail "a download counts a minute (used $(used social-time))"
contains "status shows it" "$(smctl status)" "social-time: 1m of 2m used today, 1m left"
wait_warned social-time && ok || fail "the 2m allowance warns at its first minute: $(cat "$T/watch.json")"
eq "its warning: 1 of 2 used, runs out by the end of the next minute" "$(warnings social-time)" \
	'[[1, 2, True]]'
eq "the 3m allowance with warn 1m: no warning after its first minute" "$(warnings warned)" '[]'
# More of the same minute counts nothing.
reload
get big 2 300k >/dev/null
sleep 0.5
eq "a minute counts once" "$(used social-time)" 1

# The next minute of the daemon's clock: the second, and the last.
fake 60
reload
get big 3 300k >/dev/null
wait_used social-time 2 && ok || fail "the second minute counts (used $(used social-time))"
wait_warned warned && ok || fail "the 3m allowance warns after its second minute: $(cat "$T/watch.json")"
eq "its warning: 2 of 3 used, 1 min left" "$(warnings warned)" '[[2, 3, True]]'
eq "the 2m allowance, used up, is not warned again" "$(warnings social-time)" '[[1, 2, True]]'
grep -q '"message": "allowance warned: 1 min left today' "$T/watch.json" && ok ||
	fail "the warning's sentence: $(cat "$T/watch.json")"
contains "status: used up" "$(smctl status)" "social-time: 2m of 2m used today, 0s left"
eq "the break waits for the end of the minute used" "$(js 'j.get("blocking", False)' status)" false
fake 120
reload
eq "the break is on in the third minute" "$(js 'j.get("blocking", False)' status)" true
contains "status says until when: midnight" "$(smctl status)" "blocked until $(date -d 'tomorrow +1 day' +%a) 00:00"
code=$(get small 2 1M)
rc=$?
check "a connection to the learned address is refused (curl rc $rc, http $code)" test "$rc" -eq 7
contains "the name is blocked" "$(in_ns dig @127.0.0.153 "$UP_LISTED" A)" "NXDOMAIN"

# A restart keeps the count, and the break.
check "a clean stop" stop_daemon
grep -q "^day " "$STATE/allowances" && ok || fail "the usage is in the state directory"
start_daemon
eq "after a restart: still 2 minutes used" "$(used social-time)" 2
eq "and the break still on" "$(js 'j.get("blocking", False)' status)" true
contains "stats show the minutes per day" "$(smctl stats)" "social-time"

# A strict allowance in its window: raising per_day is a loosening.
cp "$CONF" "$T/good.conf"
sed -i 's/^per_day = 10m/per_day = 20m/' "$CONF"
expect_rc 1 "raising a strict allowance's per_day is refused" smctl reload
expect_in "strict allowance kept runs until" "the reply names the allowance and why"
sed -i '/^\[allowance kept\]/,$d' "$CONF"
expect_rc 1 "removing it is refused" smctl reload
cp "$T/good.conf" "$CONF"
sed -i 's/^per_day = 10m/per_day = 5m/' "$CONF"
expect_rc 0 "lowering it is not" smctl reload

finish
