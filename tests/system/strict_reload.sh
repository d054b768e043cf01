#!/bin/bash
# During a strict pause a reload is judged by what it would block, not by
# the words of the config: emptying a `files =` list file, emptying a
# service file of the catalog, or turning intercept off is refused with the
# loss named; a reload that tightens goes through; after the strict pause the
# same loosening is accepted.
. "$(dirname "$0")/lib.sh"
export TZ=UTC

DATA=$T/data
mkdir -p "$DATA/services"
cp "$SMB_SOURCE_DIR/conf/bypass.list" "$SMB_SOURCE_DIR/conf/wildcard.list" "$DATA/"
printf 'instagram.com\ncdninstagram.com\n' >"$DATA/services/instagram.list"
printf 'kept.example\nfiled.example\n' >"$T/social.txt"
cat >"$CONF" <<EOF
[daemon]
intercept = yes
upstream = 127.0.0.1:9
control_group = smbreak-test-nogroup
[list social]
services = instagram
files = $T/social.txt
EOF
start_daemon --data-dir "$DATA"
expect_rc 0 "strict pause" smctl pause 30m --strict

printf 'kept.example\n' >"$T/social.txt"
expect_rc 1 "a reload after emptying part of a list file is refused" smctl reload
expect_in "list 'social' would no longer block 'filed.example'" "the lost name is named"
printf 'kept.example\nfiled.example\n' >"$T/social.txt"

printf 'instagram.com\n' >"$DATA/services/instagram.list"
expect_rc 1 "a reload after emptying part of a service file is refused" smctl reload
expect_in "would no longer block 'cdninstagram.com'" "the lost service name is named"
printf 'instagram.com\ncdninstagram.com\n' >"$DATA/services/instagram.list"

cp "$CONF" "$T/good.conf"
sed -i 's/^intercept = yes/intercept = no/' "$CONF"
expect_rc 1 "a reload turning intercept off is refused" smctl reload
expect_in "intercept cannot be turned off" "and says so"
cp "$T/good.conf" "$CONF"

printf 'also.example\n' >>"$T/social.txt"
expect_rc 0 "a reload that only adds names goes through" smctl reload
[ "$(js '"blocked" in j' check also.example)" = true ] && ok || fail "the added name is blocked"
[ "$(js '"blocked" in j' check filed.example)" = true ] && ok || fail "the kept names stay blocked"
kill9_daemon

# Without the strict pause the same loosening is a plain reload.
wipe_strict
start_daemon --data-dir "$DATA"
printf 'kept.example\n' >"$T/social.txt"
expect_rc 0 "outside a strict break the loosening reload is accepted" smctl reload
kill9_daemon
finish
