# The allowance tests' clock, sourced after lib.sh: the kernel's
# one-per-minute limit runs on the real clock, so waiting for reported
# minutes would take real minutes. Instead the daemon runs under
# libfaketime with an offset the test steps a minute at a time (fake N,
# then a reload, which also rebuilds the usage rules and so starts the
# kernel's limit afresh): each reported minute is a distinct minute of the
# daemon's clock. The fake day is tomorrow 10:00:05 UTC, so no step crosses
# midnight. After sourcing, start_daemon starts the daemon on that clock.
#
#   fake N           the daemon's clock: tomorrow 10:00:05 UTC + N seconds
#   used NAME        the minutes allowance NAME used today (smctl status)
#   wait_used NAME N up to 5 s for NAME to have used N minutes
#   reload           smctl reload, quietly
#   counts_nothing, uses_up: a download in minutes 0-2 counting nothing,
#                    one in minutes 3-4 using up 2 minutes (see below)

# shellcheck shell=bash
export TZ=UTC
LIBFT=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -n1)
if [ -z "$LIBFT" ] || ! command -v dig >/dev/null || ! command -v dnsmasq >/dev/null ||
	! command -v curl >/dev/null; then
	echo "skip: needs libfaketime, dig, dnsmasq and curl" >&2
	exit 77
fi
# start_daemon runs $SMBREAKD: this wrapper execs it under the fake clock
# (same pid, so stop_daemon and kill9_daemon still find it).
cat >"$T/smbreakd-fake" <<WRAP
#!/bin/sh
exec env LD_PRELOAD="$LIBFT" FAKETIME_TIMESTAMP_FILE="$T/faketime" FAKETIME_NO_CACHE=1 \
	DONT_FAKE_MONOTONIC=1 "$SMBREAKD" "\$@"
WRAP
chmod 755 "$T/smbreakd-fake"
SMBREAKD=$T/smbreakd-fake

FAKE_BASE=$(($(date -d 'tomorrow 10:00:05' +%s) - $(date +%s)))
fake() { echo "+$((FAKE_BASE + $1))" >"$T/faketime"; }
fake 0

used() { js "[a['used'] for a in j.get('allowances', []) if a['name'] == '$1'][0]" status; }
wait_used() {
	for _ in $(seq 1 50); do
		[ "$(used "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# allowance_web: files to download ("big", 20 MB, and "small") served from
# NET on port 8081; ALLOW_WEB: its pid, for the test's EXIT trap.
ALLOW_WEB=
allowance_web() {
	mkdir -p "$T/www" && head -c 20000000 /dev/zero >"$T/www/big" && echo small >"$T/www/small"
	chmod -R a+rX "$T/www"
	(cd "$T/www" && exec ip netns exec "$NET" python3 -m http.server --bind 0.0.0.0 8081) \
		>/dev/null 2>&1 &
	ALLOW_WEB=$!
}

# allowance_conf SECTIONS: a machine's config (hostlab.sh's network, the
# intercept on, UP_LISTED in list social) with SECTIONS after it.
allowance_conf() {
	printf '[daemon]\nlisten = 127.0.0.153:53\nupstream = %s\nintercept = yes\n\n' "$LAB_UP4" >"$CONF"
	printf '[list social]\ndomains = %s\n\n%s\n' "$UP_LISTED" "$1" >>"$CONF"
}

reload() { smctl reload >/dev/null; }

# counts_nothing NAME WHAT CMD...: CMD (a download, WHAT in the messages) in
# each of the daemon's minutes 0, 1 and 2 uses nothing of allowance NAME.
counts_nothing() {
	local name=$1 what=$2 m
	shift 2
	for m in 0 1 2; do
		fake $((m * 60))
		reload
		"$@" >/dev/null
		sleep 0.5
		eq "minute $m: $what uses nothing of $name" "$(used "$name")" 0
	done
}

# uses_up NAME WHAT CMD...: CMD in minutes 3 and 4 uses up NAME's 2 minutes;
# the clock is then at minute 5, the break's.
uses_up() {
	local name=$1 what=$2 m
	shift 2
	for m in 1 2; do
		fake $(((m + 2) * 60))
		reload
		"$@" >/dev/null
		wait_used "$name" "$m" && ok || fail "$what counts minute $m (used $(used "$name"))"
	done
	fake 300
	reload
}

# labels: [name, conntrack label bit] of each allowance, sorted, from its
# log rule (`nft -j`); the rule of an allowance for everyone has none (null).
labels() {
	nftj 'sorted([[e["log"]["prefix"] for e in r["expr"] if "log" in e][0].split()[-1], r["expr"][0].get("match", {}).get("right")] for o in j if "chain" in o and o["chain"]["name"].startswith("usage_") and o["chain"]["name"][6:].isdigit() for r in rules(o["chain"]["name"]))'
}
