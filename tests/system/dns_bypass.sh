#!/bin/bash
# The DoH/DoT endpoints that breaks block come from DATADIR/bypass.list, not
# from the code: a name added to a copy of the file is answered NXDOMAIN with
# EDE 15 during a pause (subdomains too), a name taken out of it is relayed
# like any other, and a data directory whose file is missing or has a bad
# line stops smbreakd at start with a message naming the file.
. "$(dirname "$0")/lib.sh"
export TZ=UTC
command -v dig >/dev/null || {
	echo "skip: needs dig" >&2
	exit 77
}

FWD=127.0.0.153
# Nothing listens there: relayed queries fail at once (port unreachable), so
# a relayed name is told apart from a blocked one by its SERVFAIL.
cat >"$CONF" <<CONF
[daemon]
listen = $FWD:53
upstream = 127.0.0.1:9
blocked_answer = nxdomain

[list social]
domains = listed.example
CONF

# datadir NAME: a data directory with the catalog and a copy of bypass.list.
datadir() {
	mkdir -p "$T/$1"
	ln -s "$SMB_SOURCE_DIR/conf/services" "$T/$1/services"
	cp "$SMB_SOURCE_DIR/conf/bypass.list" "$SMB_SOURCE_DIR/conf/wildcard.list" "$T/$1/"
	echo "$T/$1"
}
d() { ip netns exec "$NS" dig +time=3 +tries=1 @$FWD "$@"; }

DATA=$(datadir data)
printf 'doh.bypass-test.example  # the test'"'"'s own endpoint\n' >>"$DATA/bypass.list"
grep -v 'dns\.google' "$DATA/bypass.list" >"$DATA/bypass.list.new"
mv "$DATA/bypass.list.new" "$DATA/bypass.list"
start_daemon --data-dir "$DATA"

OUT=$(d doh.bypass-test.example A)
expect_in "status: SERVFAIL" "outside a break an endpoint is relayed"
# smctl check says what the forwarder does, from the same file.
expect_rc 1 "check of an endpoint outside a break" smctl check doh.bypass-test.example
expect_in "blocked during every break" "smctl check names the bypass rule"
expect_in "bypass.list:" "and the file and line of the entry"
expect_rc 0 "pause" smctl pause 10m
OUT=$(smctl check dns.cloudflare-dns.com)
expect_in "is blocked now" "smctl check: a shipped endpoint's subdomain is blocked now"
expect_in "DoH/DoT endpoint" "as a DoH/DoT endpoint"
[ "$(js '"blocked" in j' check cloudflare-dns.com)" = true ] && ok || fail "check --json says blocked"
OUT=$(smctl check dns.google)
expect_in "in no list" "an endpoint taken out of bypass.list is not claimed blocked"
OUT=$(d doh.bypass-test.example A)
expect_in "status: NXDOMAIN" "an endpoint added to bypass.list is blocked during a pause"
expect_in "EDE: 15 (Blocked)" "with Extended DNS Error 15"
OUT=$(d www.doh.bypass-test.example AAAA)
expect_in "status: NXDOMAIN" "and its subdomains"
OUT=$(d doh.bypass-test.example HTTPS)
expect_in "ANSWER: 0" "its HTTPS record is answered empty"
expect_in "EDE: 15 (Blocked)" "with EDE 15 too"
OUT=$(d cloudflare-dns.com A)
expect_in "EDE: 15 (Blocked)" "the shipped endpoints stay blocked"
OUT=$(d dns.google A)
expect_in "status: SERVFAIL" "an endpoint taken out of bypass.list is relayed"
OUT=$(d use-application-dns.net A)
expect_in "status: NXDOMAIN" "the DoH canary keeps its built-in answer"
OUT=$(d listed.example A)
expect_in "EDE: 15 (Blocked)" "a listed name is blocked as before"
stop_daemon
check "the daemon stopped cleanly" test $? -eq 0

# start_fails DATADIR DESCRIPTION NEEDLE: smbreakd exits 1, saying NEEDLE.
start_fails() {
	expect_rc 1 "$2" timeout 20 ip netns exec "$NS" "$SMBREAKD" -f "$CONF" -s "$SOCK" \
		--state-dir "$STATE" --data-dir "$1" -d
	expect_in "$3" "$2: the message names the file"
}
MISSING=$(datadir missing)
rm "$MISSING/bypass.list"
start_fails "$MISSING" "a missing bypass.list stops the start" \
	"$MISSING/bypass.list: cannot open: No such file"
expect_in "cannot start without the DoH/DoT endpoints" "and says why it matters"
BAD=$(datadir bad)
printf 'not a name!\n' >>"$BAD/bypass.list"
start_fails "$BAD" "a bad line in bypass.list stops the start" "$BAD/bypass.list:"

finish
