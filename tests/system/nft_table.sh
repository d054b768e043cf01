#!/bin/bash
# The table inet smbreak as nft(8) reads it back, in a network namespace of its
# own: chains, sets and rules before, during and after a break, IPv4 and IPv6;
# elements with timeouts and the strict-break floor; intercept on and off; a
# stop during a strict break; a restart after kill -9 leaving exactly one
# table; removal on a clean stop.
. "$(dirname "$0")/nft_lib.sh"
enter_netns "$@"

D=$NFTDRV

# --- start: no break on ---
check "replace" $D "replace intercept dns6=::1 routed=153"
eq "one table" "$(q 'len(tables)')" 1
eq "filter chain hooks" "$(q '[(chain(c)["type"], chain(c)["hook"], chain(c)["prio"], chain(c)["policy"]) for c in ("block_output", "block_forward", "guard")]')" \
	"[('filter', 'output', 0, 'accept'), ('filter', 'forward', 0, 'accept'), ('filter', 'input', 0, 'accept')]"
eq "both jump to the block chain, a regular one" \
	"$(q '[exprs(rules(c)[0]) for c in ("block_output", "block_forward")], "hook" in chain("block")')" \
	"$(q '[json.dumps([{"jump": {"target": "block"}}], sort_keys=True)] * 2, False')"
eq "routed nat chain hook" "$(q 'chain("intercept_routed")["type"], chain("intercept_routed")["hook"], chain("intercept_routed")["prio"]')" \
	"('nat', 'prerouting', -100)"
eq "routed intercept rules" "$(q 'len(rules("intercept_routed"))')" 3
contains "the machine's own addresses are left alone" "$(q 'exprs(rules("intercept_routed")[0])')" '"fib"'
contains "routed port 53 is redirected to 153" "$(q 'exprs(rules("intercept_routed")[1])')" '"redirect": {"port": 153}'
eq "guard rules" "$(q 'len(rules("guard"))')" 2
contains "the guard drops what was not redirected" "$(q 'exprs(rules("guard")[0])')" '"drop"'
eq "nat chain hook" "$(q 'chain("intercept")["type"], chain("intercept")["hook"], chain("intercept")["prio"]')" \
	"('nat', 'output', -100)"
eq "refuse chain is a regular one" "$(q '"hook" in chain("refuse")')" False
eq "sets: per list and family, and the endpoints'" "$(q '[(n, set_(n)["type"], set_(n)["flags"], set_(n)["size"]) for n in ("learned4_social","learned6_social","endpoints4","endpoints6")]')" \
	"[('learned4_social', 'ipv4_addr', ['timeout'], 65536), ('learned6_social', 'ipv6_addr', ['timeout'], 65536), ('endpoints4', 'ipv4_addr', ['timeout'], 65536), ('endpoints6', 'ipv6_addr', ['timeout'], 65536)]"
eq "no block rules outside a break" "$(q 'len(rules("block"))')" 0
eq "refuse rules" "$(q '[exprs(r) for r in rules("refuse")]')" \
	"$(q '[json.dumps([{"match": {"op": "==", "left": {"meta": {"key": "l4proto"}}, "right": "tcp"}}, {"reject": {"type": "tcp reset"}}], sort_keys=True), json.dumps([{"reject": {"type": "icmpx", "expr": "admin-prohibited"}}], sort_keys=True)]')"
eq "intercept rules" "$(q 'len(rules("intercept"))')" 6
contains "mark skipped first" "$(q 'exprs(rules("intercept")[0])')" '"key": "mark"'
contains "dnat v4" "$(q 'exprs(rules("intercept")[2])')" '"addr": "127.0.0.153"'
contains "dnat v6" "$(q 'exprs(rules("intercept")[3])')" '"addr": "::1"'

# --- learned addresses with their timeouts ---
check "add elements" $D "add 203.0.113.7,600 198.51.100.1,30 2001:db8:1::5,45"
eq "learned4_social" "$(q 'sorted((e["elem"]["val"], e["elem"]["timeout"]) for e in elems("learned4_social"))')" \
	"[('198.51.100.1', 30), ('203.0.113.7', 600)]"
eq "learned6_social" "$(q '[(e["elem"]["val"], e["elem"]["timeout"]) for e in elems("learned6_social")]')" \
	"[('2001:db8:1::5', 45)]"
handles_before=$(q '[set_(n)["handle"] for n in ("learned4_social","learned6_social")]')

# --- a break starts: the rules go in, the sets stay as they are ---
check "block on" $D "block on"
contains "local addresses first" "$(q 'exprs(rules("block")[0])')" '"fib": {"flags": ["daddr"], "result": "type"}'
eq "block rules" "$(q '[(r["expr"][0]["match"]["left"]["payload"]["protocol"], r["expr"][0]["match"]["right"], r["expr"][-1]) for r in rules("block")[1:]]')" \
	"[('ip', '@learned4_social', {'goto': {'target': 'refuse'}}), ('ip6', '@learned6_social', {'goto': {'target': 'refuse'}}), ('ip', '@endpoints4', {'goto': {'target': 'refuse'}}), ('ip6', '@endpoints6', {'goto': {'target': 'refuse'}}), ('tcp', 853, {'goto': {'target': 'refuse'}}), ('udp', 853, {'goto': {'target': 'refuse'}})]"
contains "ip daddr is matched" "$(q 'exprs(rules("block")[1])')" '"field": "daddr", "protocol": "ip"'
contains "ip6 daddr is matched" "$(q 'exprs(rules("block")[2])')" '"field": "daddr", "protocol": "ip6"'
eq "sets not rebuilt" "$(q '[set_(n)["handle"] for n in ("learned4_social","learned6_social")]')" "$handles_before"
eq "elements kept" "$(q 'len(elems("learned4_social")), len(elems("learned6_social"))')" "(2, 1)"
check "block on again" $D "block on"
eq "no duplicate rules" "$(q 'len(rules("block"))')" 7
eq "counts during" "$($D counts)" "learned4=2 learned6=1 ranges4=0 ranges6=0 block_rules=7 intercept_rules=6"

# --- the break ends ---
check "block off" $D "block off"
eq "rules out" "$(q 'len(rules("block"))')" 0
eq "sets still there" "$(q '[set_(n)["handle"] for n in ("learned4_social","learned6_social")]')" "$handles_before"
eq "elements still there" "$(q 'len(elems("learned4_social")), len(elems("learned6_social"))')" "(2, 1)"

# --- a break with an end carries meta time < end ---
check "block on with end" $D "block on until=3600"
contains "time guard" "$(q 'exprs(rules("block")[1])')" '"key": "time"'
check "block off" $D "block off"

# --- delete, flush ---
check "del" $D "del 198.51.100.1"
eq "deleted" "$(q '[e["elem"]["val"] for e in elems("learned4_social")]')" "['203.0.113.7']"
check "flush" $D flush
eq "flushed" "$(q 'len(elems("learned4_social")), len(elems("learned6_social"))')" "(0, 0)"

# --- strict break: timeouts no shorter than what is left of the break ---
check "add short" $D "add 203.0.113.9,5 2001:db8::9,5 203.0.113.10,7200"
check "floor + add" $D "floor 900" "add 203.0.113.11,5"
eq "extended to the floor" "$(q 'sorted((e["elem"]["val"], e["elem"]["timeout"] >= 899) for e in elems("learned4_social") + elems("learned6_social"))')" \
	"[('2001:db8::9', True), ('203.0.113.10', True), ('203.0.113.11', True), ('203.0.113.9', True)]"
eq "longer ones kept" "$(q '[e["elem"]["timeout"] for e in elems("learned4_social") if e["elem"]["val"] == "203.0.113.10"]')" "[7200]"

# --- intercept off and on, then a stop during a strict break (one daemon run:
# the redirect target comes from the configuration given at start) ---
OUT=$($D - 2>&1 <<<"replace intercept dns6=::1
add 203.0.113.7,600
intercept off
sh nft -j list chain inet smbreak intercept | python3 -c 'import sys; print(\"off:\", sys.stdin.read().count(\"\\\"rule\\\"\"))'
intercept on
sh nft -j list chain inet smbreak intercept | python3 -c 'import sys; print(\"on:\", sys.stdin.read().count(\"\\\"rule\\\"\"))'
block on until=600
leave")
eq "intercept off then on" "$OUT" "off: 0
on: 6"
eq "after leave: block stays, redirect gone, elements carried" "$(q 'len(rules("block")), len(rules("intercept")), len(elems("learned4_social"))')" "(7, 0, 4)"
OUT=$($D "intercept on" 2>&1)
contains "intercept needs the configuration" "$OUT" "nft_table_replace first"

# --- restart after kill -9: the old table goes in the same transaction ---
$D - <<<"replace block intercept
add 192.0.2.99,600
sleep 30" &
pid=$!
for _ in $(seq 50); do
	[ "$(q 'len(elems("learned4_social"))')" = 1 ] && break
	sleep 0.1
done
kill -9 $pid
wait $pid 2>/dev/null
eq "the table outlives a killed daemon" "$(q 'len(tables), len(rules("block"))')" "(1, 7)"
check "start again" $D "replace block intercept"
eq "exactly one table, no duplicated rules" "$(q 'len(tables), len(rules("block")), len(rules("intercept")), len(rules("refuse"))')" \
	"(1, 7, 6, 2)"
eq "learned elements carried into the new table, with the time they had left" \
	"$(q '[(e["elem"]["val"], 500 < e["elem"]["timeout"] <= 600) for e in elems("learned4_social") if e["elem"]["val"] == "192.0.2.99"]')" \
	"[('192.0.2.99', True)]"

# --- per-list sets: a break on one list rejects only that list's sets ---
# the sets the block chain's rules look up, in order
SETS="nft list chain inet smbreak block | grep -o '@[a-z0-9_]*' | tr '\\n' ' '; echo"
OUT=$($D - 2>&1 <<<"delete
replace lists=social,video range=video:203.0.113.0/25 range=video:203.0.113.128/25 range=video:2001:db8:77::/48 range=video:203.0.113.64/26
add 192.0.2.1@social 192.0.2.2@video 192.0.2.3@social+video 2001:db8::4@video 192.0.2.5@endpoints
block on lists=social
sh printf 'social: '; $SETS
block on lists=video
sh printf 'video: '; $SETS
counts
sh nft list set inet smbreak ranges4_video | grep -o 'elements = .*'
relist lists=video,news range=news:198.51.100.0/24
counts")
contains "social in force: social's set and the endpoints'" "$OUT" "social: @learned4_social @learned6_social @endpoints4 @endpoints6"
contains "video in force: video's sets and ranges" "$OUT" "video: @learned4_video @ranges4_video @learned6_video @ranges6_video @endpoints4 @endpoints6"
contains "an address of two lists is in both sets" "$OUT" "learned4=5 learned6=1 ranges4=1 ranges6=1"
contains "ranges merged into intervals" "$OUT" "elements = { 203.0.113.0/24 }"
eq "a reload's ranges" "$(nft list set inet smbreak ranges4_news | grep -o 'elements = .*')" "elements = { 198.51.100.0/24 }"
eq "after a reload: social's sets gone, video's kept, news's new" \
	"$(q 'sorted(s["name"] for s in pick("set"))')" \
	"['endpoints4', 'endpoints6', 'hold', 'learned4_news', 'learned4_video', 'learned6_news', 'learned6_video', 'ranges4_news', 'ranges6_news']"
eq "video's elements stayed" "$(q 'sorted(e["elem"]["val"] for e in elems("learned4_video"))')" "['192.0.2.2', '192.0.2.3']"
eq "the rules of video, still in force, stayed" "$(q 'sorted(set(json.dumps(r["expr"]).split("@")[1].split(chr(34))[0] for r in rules("block")[1:] if "@" in json.dumps(r["expr"])))')" \
	"['endpoints4', 'endpoints6', 'learned4_video', 'learned6_video']"
eq "nft sees one table" "$(nft list tables)" "table inet smbreak"

# --- a reload that keeps a list's ranges but changes them, and moves it ---
check "reload with video's ranges changed" $D delete "replace lists=social,video range=video:203.0.113.0/24 block=video" \
	"add 192.0.2.2@video" "relist lists=video,social range=video:198.51.100.0/24 range=video:203.0.113.0/25"
eq "the new ranges" "$(nft list set inet smbreak ranges4_video | grep -o 'elements = .*')" \
	"elements = { 198.51.100.0/24, 203.0.113.0/25 }"
eq "video, now the first list, still in force" "$(nft list chain inet smbreak block | grep -o '@[a-z0-9_]*' | tr '\n' ' ')" \
	"@learned4_video @ranges4_video @learned6_video @ranges6_video @endpoints4 @endpoints6 "
eq "its elements kept" "$(q '[e["elem"]["val"] for e in elems("learned4_video")]')" "['192.0.2.2']"

# --- clean stop ---
check "delete" $D delete
eq "table removed" "$(nft list tables)" ""
check "delete when gone" $D delete

finish
