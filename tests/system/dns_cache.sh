#!/bin/bash
# The answer cache (issue 17): a second query is answered without reaching
# the upstream (dnsmasq's query log counts what reaches it), its TTL counted
# down, the client's case kept; DO and CD variants are entries of their own;
# a listed name is blocked during a break though cached, and a hit for it
# outside one re-learns its addresses (nft -j shows their timeout renewed);
# with the upstream stopped an expired entry is served stale (TTL 30, EDE 3);
# reload keeps the cache, a new upstream flushes it, cache = 0 turns it off,
# and a flood of names keeps the bound.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns_upstream.sh"
export TZ=UTC
# Every name under flood.smbt.test answers, for the flood.
eval "$(declare -f _up_zone_args | sed '1s/_up_zone_args/_up_zone_args_base/')"
_up_zone_args() {
	_up_zone_args_base
	UP_ARGS+=("--address=/flood.$UP_ZONE/198.51.100.99")
}
upstream_test

write_conf() {
	cat >"$CONF" <<CONF
[daemon]
listen = $FWD:53
upstream = ${2:-$UP4}
intercept = no
learn_min = 1m
$1

[list social]
domains = $UP_LISTED ${3:-}
CONF
}
write_conf ""
start_daemon
d() { ip netns exec "$NS" dig +time=2 +tries=1 @$FWD "$@"; }
ttl_of() { awk -v n="$1." '$1 == n && $4 == "A" { print $2; exit }'; }
counter() { js "j[\"counters\"].get(\"$1\", -1)" status; }

# A second query is answered from the cache, its TTL counted down.
OUT=$(d "$UP_BOTH" A)
expect_in "$UP_BOTH_A" "the first query is relayed"
first=$(ttl_of "$UP_BOTH" <<<"$OUT")
eq "the first query reached the upstream" "$(upstream_queries "$UP_BOTH" A)" 1
sleep 2.1
OUT=$(d "$UP_BOTH" A)
expect_in "$UP_BOTH_A" "the second query is answered"
eq "without reaching the upstream" "$(upstream_queries "$UP_BOTH" A)" 1
second=$(ttl_of "$UP_BOTH" <<<"$OUT")
check "its TTL counted down ($first, then $second)" test "$second" -le $((first - 2))
OUT=$(d "BoTh.SmBt.TeSt" A)
expect_in "BoTh.SmBt.TeSt." "a hit keeps the client's case in the question"
eq "and is a hit" "$(upstream_queries "$UP_BOTH" A)" 1

# DO and CD: entries of their own.
d +dnssec "$UP_BOTH" A >/dev/null
eq "a DO query is not answered from the plain entry" "$(upstream_queries "$UP_BOTH" A)" 2
OUT=$(d +dnssec "$UP_BOTH" A)
expect_in "flags: do;" "its own entry echoes DO"
d +cdflag "$UP_BOTH" A >/dev/null
eq "nor a CD query" "$(upstream_queries "$UP_BOTH" A)" 3
d +dnssec "$UP_BOTH" A >/dev/null
d +cdflag "$UP_BOTH" A >/dev/null
eq "each is cached in turn" "$(upstream_queries "$UP_BOTH" A)" 3
check "status counts the hits" test "$(counter cache_hits)" -ge 4
check "and the entries" test "$(counter cache_entries)" -ge 3
expect_rc 0 "status -v" smctl status -v
expect_in "cache_hits" "status -v shows the cache's counters"

# A hit for a listed name learns its addresses, with the TTL left: a name
# cached while in no list, then listed by a reload (which keeps the cache).
d "$UP_LOOKALIKE" A >/dev/null
sleep 2
write_conf "" "" "$UP_LOOKALIKE"
expect_rc 0 "reload: $UP_LOOKALIKE listed" smctl reload
d "$UP_LOOKALIKE" A >/dev/null
eq "the query after the reload was a hit" "$(upstream_queries "$UP_LOOKALIKE" A)" 1
sleep 0.3
left=$(nftj "max([e['elem'].get('expires', 0) for o in j if 'set' in o and o['set']['name'] == 'learned4_social' for e in o['set'].get('elem', []) if isinstance(e, dict) and e['elem']['val'] == '$UP_LOOKALIKE_A'] or [0])")
check "the hit put its address in the list's set (nft -j, $left s left)" test "$left" -gt 200
check "for the TTL left ($left s of $UP_TTL)" test "$left" -le $((UP_TTL - 2))

# During a break a listed name is blocked though cached, and so is a cached
# name whose chain is listed (CNAME cloaking on a hit).
d "$UP_CLOAK" A >/dev/null
expect_rc 0 "pause" smctl pause 10m
OUT=$(d "$UP_LISTED" A)
expect_in "status: NXDOMAIN" "a cached listed name is blocked during a break"
expect_in "EDE: 15" "with EDE 15"
OUT=$(d "$UP_CLOAK" A)
expect_in "status: NXDOMAIN" "a cached cloaked name too"
expect_rc 0 "resume" smctl resume
OUT=$(d "$UP_LISTED" A)
expect_in "$UP_LISTED_A" "after the break it is answered again"
eq "from the cache" "$(upstream_queries "$UP_LISTED" A)" 1

# Reload keeps the cache.
expect_rc 0 "reload" smctl reload
d "$UP_BOTH" A >/dev/null
eq "a reload keeps the cache" "$(upstream_queries "$UP_BOTH" A)" 3

# Serve-stale: an answer of TTL 3 from a server that then stops.
upstream_stop
UP_TTL=3
upstream_start "$NS" "$UP4" || fail "restart the upstream with TTL 3"
OUT=$(d "$UP_TXT" TXT)
expect_in "v=spf1" "a TXT answer with TTL 3 is relayed"
upstream_stop
sleep 3.5
OUT=$(d "$UP_TXT" TXT)
expect_in "status: NOERROR" "expired, with the upstream stopped: answered"
expect_in "v=spf1" "with the stale data"
expect_in "EDE: 3 (Stale Answer)" "with EDE 3"
eq "and TTL 30" "$(awk -v n="$UP_TXT." '$1 == n && $4 == "TXT" { print $2; exit }' <<<"$OUT")" 30
OUT=$(d "$UP_BOTH" A)
expect_in "$UP_BOTH_A" "a fresh entry is still a plain hit"
case $OUT in *"EDE"*) fail "a fresh hit carries no EDE: $OUT" ;; *) ok ;; esac
OUT=$(d "$UP_MX" MX)
expect_in "status: SERVFAIL" "a name never cached gets SERVFAIL"
check "status counts the stale answer" test "$(counter cache_stale)" -ge 1
UP_TTL=300
upstream_start "$NS" "$UP4" || fail "restart the upstream"

# A flood of names keeps the bound.
write_conf "cache = 100"
expect_rc 0 "reload with cache = 100" smctl reload
for i in $(seq 1 400); do echo "r$RANDOM$i.flood.$UP_ZONE A"; done >"$T/flood"
ip netns exec "$NS" dig +time=2 +tries=1 @$FWD -f "$T/flood" +short >/dev/null
eq "400 names: the cache holds 100" "$(counter cache_entries)" 100
check "within its bytes ($(counter cache_bytes))" test "$(counter cache_bytes)" -le 32000

# A new upstream flushes the cache; cache = 0 turns it off.
ip -n "$NS" addr add 192.0.2.54/32 dev lo
write_conf "" "192.0.2.54 $UP4"
expect_rc 0 "reload with a new upstream" smctl reload
eq "a new upstream flushes the cache" "$(counter cache_entries)" 0
write_conf "cache = 0"
expect_rc 0 "reload with cache = 0" smctl reload
d "$UP_BOTH" A >/dev/null
d "$UP_BOTH" A >/dev/null
eq "cache = 0: every query reaches the upstream" "$(upstream_queries "$UP_BOTH" A)" 2
eq "and status shows no cache" "$(counter cache_entries)" -1

stop_daemon || fail "clean stop"
finish
