#!/bin/bash
# Domain lists as a user sees them through `smctl check`: services from the
# catalog, domains and allow entries in the config, list files in all three
# formats with bad lines reported and skipped, matching on label boundaries,
# case and trailing dots, IDNs, and a reload whose list file vanished.
. "$(dirname "$0")/lib.sh"
export TZ=UTC
: "${SMB_SOURCE_DIR:?set by ctest}"

mkdir -p "$T/lists.d"
printf '# a plain list\nplain.example\n\nbad..name\n' >"$T/lists.d/plain.txt"
printf '0.0.0.0 hosts-one.example hosts-two.example\n127.0.0.1 localhost\n::1 ip6-localhost\n' >"$T/lists.d/hosts.txt"
printf '||adblock.example^\r\n! comment\r\n||b\xc3\xbccher.example^\r\n' >"$T/lists.d/adblock.txt"

cat >"$CONF" <<CONF
[list social]
services = facebook reddit
domains = news.ycombinator.com
allow = business.facebook.com

[list files]
files = $T/lists.d/*.txt

[break work]
days = daily
times = $(clock_in 3600)-$(clock_in 7200)
lists = social
CONF

expect_rc 0 "check-config with services and files" "$SMBREAKD" --check-config -f "$CONF" \
	--data-dir "$SMB_SOURCE_DIR/conf"
expect_in "plain.txt:4:" "a bad list line is reported with file:line"
start_daemon
grep -q "list files: " "$LOG" && ok || fail "the load summary names the list"

# The lists that block a name: block matches minus allow matches.
blockers='",".join(sorted({m["lists"][0] for m in j.get("matches", []) if m["kind"] == "block"} - {m["lists"][0] for m in j.get("matches", []) if m["kind"] == "allow"})) or "-"'

# name -> the list expected to block it ("-" for none)
while read -r name want; do
	got=$(js "$blockers" check "$name")
	[ "$got" = "$want" ] && ok || fail "check $name: blocked by '$got', want '$want'"
done <<'NAMES'
facebook.com social
m.facebook.com social
WWW.FaceBook.COM. social
static.xx.fbcdn.net social
business.facebook.com -
api.business.facebook.com -
notfacebook.com -
facebook.com.example.org -
old.reddit.com social
news.ycombinator.com social
ycombinator.com -
plain.example files
a.b.plain.example files
hosts-one.example files
hosts-two.example files
localhost -
adblock.example files
xn--bcher-kva.example files
example.org -
NAMES

expect_rc 1 "check prints a verdict (1: not blocked now)" smctl check m.facebook.com
expect_in "not blocked now" "outside a break nothing is blocked"
expect_in "service facebook" "check names the service"
expect_in "blocks it" "check says which break would block it"
expect_rc 1 "check of an allowed name" smctl check business.facebook.com
expect_in "allow" "check shows the allow entry"
expect_rc 1 "check of a file entry" smctl check plain.example
expect_in "plain.txt:2" "check names the file and line"
expect_rc 0 "pause" smctl pause 5m
expect_rc 0 "check during a pause" smctl check www.reddit.com
expect_in "is blocked now" "a pause blocks listed names"
[ "$(js 'j.get("blocked", False)' check www.reddit.com)" = true ] && ok || fail "json blocked flag"
expect_rc 2 "check of a bad name" smctl check 'a..b'
expect_rc 0 "services" smctl services
expect_in "facebook" "the catalog lists facebook"

# A reload whose list file has vanished keeps the old lists.
mv "$T/lists.d/plain.txt" "$T/plain.moved"
sed -i "s|^files = .*|files = $T/lists.d/plain.txt $T/lists.d/hosts.txt|" "$CONF"
expect_rc 1 "reload with a missing list file is rejected" smctl reload
expect_in "plain.txt" "the error names the file"
[ "$(js "$blockers" check plain.example)" = files ] && ok || fail "the old lists stay in force"

# An unknown service is a config error listing the known ones.
sed -i 's/^services = facebook reddit/services = facebok/' "$CONF"
expect_rc 1 "unknown service" "$SMBREAKD" --check-config -f "$CONF" --data-dir "$SMB_SOURCE_DIR/conf"
expect_in "unknown service 'facebok' (known: bluesky" "unknown service lists the catalog"
expect_in "smbreak.conf:2:" "unknown service has file:line"

stop_daemon || fail "clean stop"
finish
