#!/bin/bash
# smctl and the daemon's messages as a new user meets them (issue 14): status
# without a command, help, short flags together, a short status with the
# counters under -v, check's exit status and file:line, skipped breaks, JSON
# for every reply and error, services/lists NAME, socket and permission
# messages, times with weekdays, the no-upstream warning at start, status and
# reload, the load summary, STATUS= lines, a second daemon refused, and
# --cleanup --all.
. "$(dirname "$0")/lib.sh"
export TZ=UTC

# A break on now (so skip has something to skip) and a list with a domain
# whose `domains =` line check must name.
cat >"$CONF" <<EOF
[daemon]
upstream = 127.0.0.1:5353
control_group = adm

[list social]
services = reddit
domains = news.example

[break work]
times = $(clock_in -60 | cut -c1-5)-$(clock_in 3600 | cut -c1-5)
lists = social
EOF
domains_line=$(grep -n '^domains = ' "$CONF" | cut -d: -f1)

# sd_notify: a datagram socket of our own that keeps what the daemon sends.
NOTIFY=$T/notify.sock
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as out:
    while True:
        out.write(s.recv(4096).decode().replace("\n", " ") + "\n")
' "$NOTIFY" "$T/notify.log" &
NPID=$!
trap 'kill $NPID 2>/dev/null; rm -rf "/etc/netns/$NS"; cleanup' EXIT
for _ in $(seq 50); do [ -S "$NOTIFY" ] && break; sleep 0.05; done
NOTIFY_SOCKET=$NOTIFY start_daemon

# ---- the load summary, with plurals ----
check "the load summary says where the names came from" \
	grep -qE "list social: [0-9]+ entries from 1 service and 1 domain$" "$LOG"
check "STATUS= says what is blocked" grep -q "STATUS=blocking social until" "$T/notify.log"

# ---- no command is status; help; short flags together ----
expect_rc 0 "smctl without a command" smctl
expect_in "Blocking:  social, for everyone on this machine" "it shows the status"
expect_rc 0 "smctl help" smctl help
expect_in "help [COMMAND]" "help lists help itself"
expect_rc 0 "smctl help check" smctl help check
expect_in "usage: smctl check DOMAIN|ADDRESS" "a command's own help"
expect_in "1 when it is not" "which documents check's exit status"
expect_rc 0 "pause --help" smctl pause --help
expect_in "usage: smctl pause" "-h after a command is that command's help"
expect_rc 2 "help for no such command" smctl help frobnicate
expect_rc 0 "-js SOCKET" "$SMCTL" -js "$SOCK" status
eq "-js gives JSON from that socket" "$(echo "$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"])')" 0

# ---- status is short; -v and --json have the counters ----
expect_rc 0 "status" smctl status
case "$OUT" in *bad_replies* | *Counters* | *Daemon:*) fail "short status shows internals: $OUT" ;; *) ok ;; esac
expect_in "Next:" "it says what comes next"
expect_rc 0 "status -v" smctl status -v
expect_in "bad_replies 0" "-v has the counters"
expect_in "Daemon:    smbreakd" "and the daemon"
eq "counters are an object keyed by name" "$(js 'j["counters"]["queries"]' status)" 0
eq "no warning with an upstream" "$(js '"warnings" in j' status)" false

# ---- check: exit status, file:line, skipped, no doubled word ----
expect_rc 0 "check of a name blocked now exits 0" smctl check www.news.example
expect_in "is blocked now" "the verdict"
expect_in "($CONF:$domains_line)" "the domains = entry with file:line"
expect_rc 1 "check of a name in no list exits 1" smctl check other.example
expect_in "in no list" "and says so"
expect_rc 1 "check of an address not in the sets exits 1" smctl check 192.0.2.7
eq "check ADDRESS reports an address" "$(js '[j.get("address"), "domain" in j]' check 192.0.2.7)" '["192.0.2.7", false]'
expect_rc 0 "skip" smctl skip
expect_rc 1 "check after the skip: not blocked now" smctl check news.example
expect_in "break work               blocks it (on now, skipped)" "the skipped break is marked"
eq "and in JSON" "$(js '[b.get("skipped", False) for b in j["breaks"]]' check news.example)" '[true]'
expect_rc 0 "pause" smctl pause 5m
expect_rc 0 "check during a pause" smctl check news.example
expect_in "  pause                    blocks it (on now)" "the pause's row"
case "$OUT" in *"pause pause"*) fail "a word twice: $OUT" ;; *) ok ;; esac

# ---- usage errors and the unreachable daemon, as text and as JSON ----
expect_rc 2 "pause until with an extra argument" smctl pause until 17:00 45m
expect_in "pause until 17:00: unexpected argument '45m'" "names the extra argument"
expect_rc 2 "a usage error with --json" smctl --json frobnicate
eq "is a JSON object on stdout" "$("$SMCTL" --json frobnicate 2>/dev/null | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["result"], j["code"], j["message"])')" \
	"2 usage unknown command 'frobnicate'"
expect_rc 3 "no socket there" "$SMCTL" -s "$T/none.sock" status
expect_in "not reachable: no socket at $T/none.sock" "says there is no socket"
eq "not reachable as JSON" "$("$SMCTL" -s "$T/none.sock" --json status 2>/dev/null | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["result"], j["code"])')" \
	"3 no_socket"
expect_rc 3 "-s /etc/passwd" "$SMCTL" -s /etc/passwd status
expect_in "/etc/passwd is not a socket (it is a file)" "says it is not a socket"

# ---- permission denied: how to join the group ----
if id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
	expect_rc 1 "pause as nobody" setpriv --reuid=nobody --regid=nogroup --clear-groups "$SMCTL" -s "$SOCK" resume
	expect_in "permission denied" "is refused"
	expect_in "sudo adduser nobody adm, then log in again" "with how to join and that a new login is needed"
	eq "and the hint in JSON" "$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$SMCTL" -s "$SOCK" --json resume | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["group"], "adduser" in j["hint"])')" "adm True"
fi

# ---- times: a weekday when not today, never an epoch ----
expect_rc 0 "a long pause" smctl pause 10d
contains "its end has a weekday and a date" "$OUT" "paused until $(date -d "@$(($(date +%s) + 864000))" '+%a %Y-%m-%d')"

# ---- services NAME, lists NAME ----
expect_rc 0 "services reddit" smctl services reddit
expect_in "reddit: " "the service"
expect_in "  reddit.com" "its domains"
check "services are an object keyed by name" test "$(js 'j["services"]["reddit"]["count"]' services)" -gt 0
expect_rc 1 "services of no such service" smctl services nosuch
expect_in "unknown service 'nosuch' (known: " "names the known ones"
expect_rc 0 "lists social" smctl lists social
expect_in "  service  reddit" "its service with a count"
expect_in "  domain   news.example" "its domains"
expect_in "  breaks   work" "the breaks that use it"
check "lists NAME in JSON" test "$(js 'j["services"]["reddit"]["count"] + j["count"]' lists social)" -gt 1
expect_rc 1 "lists of no such list" smctl lists nosuch

# ---- a second daemon is refused before it touches anything ----
before=$(nftj 'j')
expect_rc 1 "a second smbreakd on the same socket" ip netns exec "$NS" "$SMBREAKD" -f "$CONF" -s "$SOCK" \
	--state-dir "$STATE" --data-dir "$SMB_SOURCE_DIR/conf"
expect_in "another smbreakd is running" "says why, in a sentence"
eq "the running one's table is untouched" "$(nftj 'j')" "$before"
expect_rc 0 "and the first still answers" smctl status

# ---- restart: the restored pause is logged in local time ----
stop_daemon || fail "clean stop"
check "STATUS= after the stop" grep -q "STATUS=stopped at" "$T/notify.log"
start_daemon
check "the restored pause is logged with its day" \
	grep -qE "restored the pause that ends at [A-Z][a-z]{2} [0-9]{4}-" "$LOG"
check "no raw epoch in the log" sh -c "! grep -qE 'at [0-9]{9,}' '$LOG'"

# ---- no upstream: said at start, in status and at reload ----
if [ ! -e /run/systemd/resolve/resolv.conf ]; then
	stop_daemon
	mkdir -p "/etc/netns/$NS"
	echo "nameserver 127.0.0.153" >"/etc/netns/$NS/resolv.conf" # only ourselves
	sed -i 's/^upstream = .*/upstream = auto/' "$CONF"
	start_daemon
	check "the start logs it" grep -q "no upstream DNS server" "$LOG"
	expect_rc 0 "status without an upstream" smctl status
	expect_in "Warning:   no upstream DNS server" "status says so"
	check "in JSON too" test "$(js 'len(j["warnings"])' status)" -eq 1
	expect_rc 0 "reload without an upstream" smctl reload
	expect_in "smctl: warning: no upstream DNS server" "reload says so"
	check "reload logs the plural right" grep -qE "loaded \(1 list, 1 break\)" "$LOG"
fi

# ---- --check-config without a catalog; --cleanup --all ----
expect_rc 1 "check-config without the catalog" "$SMBREAKD" --check-config -f "$CONF" --data-dir "$T/nowhere"
expect_in "--data-dir conf in a source tree, or install" "says how to point at the catalog"
expect_rc 0 "a strict pause" smctl pause 10m --strict
kill9_daemon
check "the table outlives a kill -9" test "$(nftj 'len(j)')" -gt 0
expect_rc 0 "--cleanup --all" ip netns exec "$NS" "$SMBREAKD" --cleanup --all
expect_in "removed table inet smbreak" "says what it did"
eq "the table is gone, strict pause or not" "$(nftj 'len(j)')" 0

finish
