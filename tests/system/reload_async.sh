#!/bin/bash
# A reload builds the new lists off the event loop: with a list of a million
# names, DNS queries are answered (relayed and blocked) while `smctl reload`
# waits for its reply, which still says how the reload went. Also a rejected
# config keeps the old one and names file and line, and reloads asked for at
# once all get their reply, the later one from a run that read the file as it
# was when asked. dnsmasq is the upstream, dig the client, in a namespace.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns_upstream.sh"
export TZ=UTC
if ! command -v dig >/dev/null || ! command -v dnsmasq >/dev/null; then
	echo "skip: needs dig and dnsmasq" >&2
	exit 77
fi

UP4=$UP_SUGGESTED_ADDR4
FWD=127.0.0.153
trap 'upstream_stop; cleanup' EXIT
upstream_start "$NS" "$UP4"

BIG=$T/big.list
BIG_N=1000000
python3 -c '
import sys
n = int(sys.argv[1])
sys.stdout.write("".join("host%d.big%d.example\n" % (i, i % 997) for i in range(n)))
' "$BIG_N" >"$BIG"

# conf EXTRA_SECTIONS: the config with the big list and whatever else is asked.
conf() {
	cat >"$CONF" <<CONF
[daemon]
listen = $FWD:53
upstream = $UP4
blocked_answer = nxdomain

[list social]
domains = $UP_LISTED

[list big]
files = $BIG
$1
CONF
}
conf ""
start_daemon

d() { ip netns exec "$NS" dig +time=3 +tries=1 "$@"; }
loads() { grep -c "reload: $CONF loaded" "$LOG"; }
runs() { grep -c "reload: reading $CONF" "$LOG"; }
# wait_runs N: until more than N reload runs have started.
wait_runs() {
	for _ in $(seq 1 200); do
		[ "$(runs)" -gt "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

expect_rc 0 "pause" smctl pause 1h
eq "a listed name is blocked" "$(d +short @$FWD "$UP_LISTED" A)" ""
eq "a name of the big list is blocked" "$(d @$FWD host7.big7.example A | grep -c 'status: NXDOMAIN')" 1
eq "other names are relayed" "$(d +short @$FWD "$UP_BOTH" A)" "$UP_BOTH_A"

# --- DNS answers while a reload builds the big list --------------------------
conf "[list extra]
domains = extra.$UP_ZONE"
before=$(loads)
n=$(runs)
smctl reload >"$T/reload.out" 2>&1 &
RP=$!
wait_runs "$n" || fail "the reload did not start"
# An answer counts when, right after it, smctl still waits for its reply and
# the daemon has not logged the reload as done: the loop answered DNS while the
# lists were being built. A loop busy with the reload would answer only after.
relayed=0 blocked=0 tries=0
while kill -0 "$RP" 2>/dev/null && [ $tries -lt 200 ]; do
	tries=$((tries + 1))
	a=$(d +short @$FWD "$UP_BOTH" A)
	if kill -0 "$RP" 2>/dev/null && [ "$(loads)" -eq "$before" ]; then
		eq "relayed during the reload" "$a" "$UP_BOTH_A"
		relayed=$((relayed + 1))
	fi
	a=$(d @$FWD "$UP_LISTED" A)
	if kill -0 "$RP" 2>/dev/null && [ "$(loads)" -eq "$before" ]; then
		contains "blocked during the reload" "$a" "status: NXDOMAIN"
		blocked=$((blocked + 1))
	fi
done
rc=0
wait "$RP" || rc=$?
echo "during the reload: $relayed relayed and $blocked blocked answers"
if [ $tries -eq 0 ]; then
	echo "ordering check skipped: the reload was done before the first query was sent" >&2
elif [ $((relayed + blocked)) -eq 0 ]; then
	fail "DNS was not answered while the reload ran ($relayed relayed, $blocked blocked)"
fi
eq "the reload's exit status" "$rc" 0
contains "the reload's reply" "$(cat "$T/reload.out")" "configuration reloaded from $CONF"
eq "one load" "$(loads)" $((before + 1))
contains "the new list is there" "$(js '" ".join(j["lists"])' lists)" "extra"
eq "the new list blocks during the pause" "$(d @$FWD "extra.$UP_ZONE" A | grep -c 'status: NXDOMAIN')" 1
eq "the big list still blocks" "$(d @$FWD host999999.big8.example A | grep -c 'status: NXDOMAIN')" 1

# --- a rejected config: errors with file and line, the old config stays ------
conf "[list extra]
domains = extra.$UP_ZONE
bogus = 1"
expect_rc 1 "reload of a broken file" smctl reload
expect_in "$CONF:" "the errors name the file"
expect_in "has errors; the running configuration stays" "the reply says the old config stays"
contains "the old lists stay" "$(js '" ".join(j["lists"])' lists)" "extra"
eq "relayed after the rejected reload" "$(d +short @$FWD "$UP_BOTH" A)" "$UP_BOTH_A"
# A list file gone: the lists cannot be built, so it is rejected too.
conf "[list gone]
files = $T/no-such.list"
expect_rc 1 "reload with a missing list file" smctl reload
expect_in "no-such.list" "the error names the missing file"
eq "the big list still blocks after it" "$(d @$FWD host3.big3.example A | grep -c 'status: NXDOMAIN')" 1

# --- two reloads at once -----------------------------------------------------
conf "[list extra]
domains = extra.$UP_ZONE"
n=$(runs)
smctl reload >"$T/r1.out" 2>&1 &
R1=$!
wait_runs "$n" || fail "the first of two reloads did not start"
n=$(runs)
# The second is asked for while the first runs, with a changed file: its reply
# must come from a run that read this file.
conf "[list extra]
domains = extra.$UP_ZONE
[list later]
domains = later.$UP_ZONE"
smctl reload >"$T/r2.out" 2>&1 &
R2=$!
rc1=0 rc2=0
wait "$R1" || rc1=$?
wait "$R2" || rc2=$?
eq "first of two reloads" "$rc1" 0
eq "second of two reloads" "$rc2" 0
contains "first reply" "$(cat "$T/r1.out")" "configuration reloaded"
contains "second reply" "$(cat "$T/r2.out")" "configuration reloaded"
contains "the second reload's file is in force" "$(js '" ".join(j["lists"])' lists)" "later"
check "a run after the first read the file" test "$(runs)" -gt "$n"

# --- SIGHUP takes the same path ----------------------------------------------
conf "[list hup]
domains = hup.$UP_ZONE"
before=$(loads)
kill -HUP "$DPID"
if wait_log "SIGHUP: reloading" 5; then ok; else fail "SIGHUP reload"; fi
for _ in $(seq 1 200); do
	[ "$(loads)" -gt "$before" ] && break
	sleep 0.05
done
contains "SIGHUP's config is in force" "$(js '" ".join(j["lists"])' lists)" "hup"
eq "relayed after all that" "$(d +short @$FWD "$UP_BOTH" A)" "$UP_BOTH_A"

# --- stopping while a reload runs: the thread is joined, nothing leaks --------
n=$(runs)
smctl reload >/dev/null 2>&1 &
R3=$!
wait_runs "$n" || fail "the last reload did not start"
check "the daemon stops cleanly during a reload" stop_daemon
wait "$R3" 2>/dev/null
finish
