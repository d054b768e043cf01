#!/bin/bash
# A table changed by hand is put back at once: `nft delete table inet
# smbreak`, `nft flush ruleset`, a flushed chain or learned set and a deleted
# rule are undone within a second (timed by `nft monitor` and by the daemon), with
# the rules in force, the redirect and the learned addresses, logged once per
# change and counted in `smctl status` (tamper_restores); the daemon's own
# changes (a break's start and end, learning) never count. A start that fails
# during a strict break leaves the strict rules as it found them.
. "$(dirname "$0")/lib.sh"
export TZ=UTC

command -v dig >/dev/null && command -v dnsmasq >/dev/null || {
	echo "skip: needs dig and dnsmasq" >&2
	exit 77
}
UP=192.0.2.53
ip -n "$NS" addr add "$UP/32" dev lo
ip netns exec "$NS" dnsmasq --keep-in-foreground -C /dev/null --no-hosts --no-resolv --no-poll \
	--bind-interfaces --listen-address=$UP --port=53 --user=root --group=root \
	--pid-file="$T/dnsmasq.pid" --address=/a.social.test/10.98.1.1 \
	--address=/b.social.test/10.98.1.2 --address=/c.social.test/2001:db8:98::3 \
	>"$T/dnsmasq.log" 2>&1 &
DNSMASQ=$!
wait_dns $UP a.social.test 10.98.1.1
trap 'kill $DNSMASQ 2>/dev/null; cleanup' EXIT

cat >"$CONF" <<CONF
[daemon]
listen = 127.0.0.153:53
upstream = $UP
intercept = yes
learn_min = 10m

[list social]
domains = social.test
CONF

n() { ip netns exec "$NS" nft "$@"; }
# The table as an independent reader sees it, timeouts left out: chains with
# their rules' expressions, sets with their elements.
snapshot() { nftj '
sorted(
  [["chain", o["chain"]["name"], [json.dumps(r["expr"], sort_keys=True) for r in rules(o["chain"]["name"])]] for o in j if "chain" in o] +
  [["set", o["set"]["name"], sorted(json.dumps(e["elem"]["val"] if isinstance(e, dict) and "elem" in e else e, sort_keys=True) for e in o["set"].get("elem", []))] for o in j if "set" in o])'; }
restores() { js 'j["counters"]["tamper_restores"]' status; }
# back_within T0: waits (up to 3 s: each look costs an nft and a python3) for
# the table to be as before the change; prints the milliseconds since T0.
back_within() {
	local t0=$1 i
	for i in $(seq 1 200); do
		if [ "$(snapshot)" = "$REF" ]; then
			echo $((($(date +%s%N) - t0) / 1000000))
			return 0
		fi
		[ $(($(date +%s%N) - t0)) -gt 3000000000 ] && break
		sleep 0.005
	done
	echo "never"
	diff <(echo "$REF" | tr ']' '\n') <(snapshot | tr ']' '\n') >&2
	return 1
}

# The kernel's own account, as a second reader: each transaction's
# generation, who committed it and when it was seen.
ip netns exec "$NS" python3 -u -c '
import subprocess, sys, time
p = subprocess.Popen(["stdbuf", "-oL", "nft", "monitor"], stdout=subprocess.PIPE, text=True)
for line in p.stdout:
    if line.startswith("# new generation"):
        print("%.6f %s" % (time.monotonic(), line.strip()), flush=True)
' >"$T/gens" 2>&1 &
MON=$!
trap 'kill $DNSMASQ $MON 2>/dev/null; cleanup' EXIT

start_daemon
# The daemon's own changes are not tampering: a break's start and end,
# learning, a reload.
for name in a b c; do
	ip netns exec "$NS" dig +short +time=2 +tries=1 @127.0.0.153 $name.social.test ANY >/dev/null
done
ip netns exec "$NS" dig +short +time=2 +tries=1 @127.0.0.153 c.social.test AAAA >/dev/null
expect_rc 0 "pause" smctl pause 10m
expect_rc 0 "resume" smctl resume
expect_rc 0 "reload" smctl reload
expect_rc 0 "pause again" smctl pause 10m
sleep 0.3
eq "no restore for the daemon's own changes" "$(restores)" 0
grep -q "not by smbreakd" "$LOG" && fail "a restore was logged for the daemon's own change" || ok
eq "learned addresses in the set" "$(nftj 'sorted(e["elem"]["val"] for o in j if "set" in o and o["set"]["name"] == "learned4_social" for e in o["set"]["elem"])')" \
	'["10.98.1.1", "10.98.1.2"]'
check "reject rules in force" test "$(nftj 'len(rules("block"))')" -gt 0
check "the redirect is on" test "$(nftj 'len(rules("intercept"))')" -gt 0
REF=$(snapshot)

# Each change by hand: the table is back as it was (timed below by nft monitor).
tamper() {
	local what=$1 t0 ms
	shift
	t0=$(date +%s%N)
	"$@" || fail "$what: the change by hand failed"
	ms=$(back_within "$t0") && ok || fail "$what: the table is not back"
	echo "$what: back after $ms ms (measured from outside)"
	TIMES="$TIMES $ms"
}
TIMES=
tamper "nft delete table" n delete table inet smbreak
grep -q "nft: table inet smbreak was changed by process [0-9]* (nft), not by smbreakd; restored with 3 learned addresses" "$LOG" &&
	ok || fail "the restore is logged with who and what"
tamper "nft flush ruleset" n flush ruleset
tamper "nft flush chain block" n flush chain inet smbreak block
tamper "nft flush chain intercept" n flush chain inet smbreak intercept
tamper "nft flush set learned4_social" n flush set inet smbreak learned4_social
handle=$(nftj 'rules("block")[-1]["handle"]')
tamper "nft delete rule" n delete rule inet smbreak block handle "$handle"
sleep 0.2
eq "status counts the restores" "$(restores)" 6
eq "logged once per change" "$(grep -c 'not by smbreakd; restored' "$LOG")" 6
grep -o "restored with [0-9]* learned addresses in [0-9.]* ms" "$LOG" | sed 's/^/daemon: /'
# From each change by hand to the daemon's restore, as nft monitor saw them.
GAPS=$(python3 -c '
import re, sys
gens = [l.strip().split(" ", 1) for l in open(sys.argv[1])]
out, t = [], None
for ts, line in gens:
    if line.endswith("(nft)"):
        t = float(ts)
    elif line.endswith("(smbreakd)") and t is not None:
        out.append("%.1f" % ((float(ts) - t) * 1000))
        t = None
print(" ".join(out))' "$T/gens")
echo "nft monitor: from each change by hand to the restore (ms): $GAPS"
eq "nft monitor saw a restore after each change" "$(wc -w <<<"$GAPS")" 6
for g in $GAPS; do
	# 100 ms is the aim (see BENCHMARKS.md); a loaded test machine gets a second
	python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 1000 else 1)" "$g" && ok ||
		fail "a restore $g ms after the change, not within a second"
done
expect_rc 0 "resume" smctl resume
eq "the break ends as usual after the restores" "$(nftj 'len(rules("block"))')" 0
sleep 0.2
eq "and that is no restore" "$(restores)" 6

# A start that fails during a strict break, after it would have made its
# table: the strict rules stay as the stopped daemon left them.
expect_rc 0 "strict pause" smctl pause 10m --strict
stop_daemon || fail "clean stop during the strict pause"
STRICT=$(snapshot)
check "the strict rules are left" test "$(nftj 'len(rules("block"))')" -gt 0
: >"$T/not-a-dir"
expect_rc 1 "a start that fails (its control socket cannot be made)" timeout 20 \
	ip netns exec "$NS" "$SMBREAKD" -f "$CONF" -s "$T/not-a-dir/smbreak.sock" \
	--state-dir "$STATE" --data-dir "$SMB_SOURCE_DIR/conf"
expect_in "control: cannot listen on" "it says why"
eq "the failed start left the strict table as it was" "$(snapshot)" "$STRICT"
start_daemon
check "a good start blocks again" test "$(nftj 'len(rules("block"))')" -gt 0
kill9_daemon
finish
