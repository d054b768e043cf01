#!/bin/bash
# The hosts file is no way around a break: a line that names a listed name
# ("10.96.1.1 www.social.test", added during the break, as a user would to
# reach the site without asking DNS) puts its address into the list's sets,
# at start, the moment the file changes (written in place or replaced, as
# editors and sed -i do), after a reload that lists the name, and as a break
# starts. nft -j reads the sets back; curl across a veth pair shows the
# connection cut. Unlisted lines, 0.0.0.0 and 127.0.0.1 lines teach nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/assert.sh"
export TZ=UTC
command -v curl >/dev/null || {
	echo "skip: needs curl" >&2
	exit 77
}
A1=10.96.1.1 A2=10.96.1.2 A3=10.96.1.3 A4=10.96.1.4 OTHER=10.96.9.9 V6=2001:db8:96::1
NS2=smbt2-$$
ip netns add "$NS2"
ip link add smbv1 netns "$NS" type veth peer name smbv2 netns "$NS2"
ip -n "$NS" addr add 10.96.0.1/24 dev smbv1
ip -n "$NS" link set smbv1 up
ip -n "$NS2" addr add 10.96.0.2/24 dev smbv2
for a in $A1 $A2 $A3 $A4 $OTHER; do ip -n "$NS2" addr add "$a/32" dev smbv2; done
ip -n "$NS2" link set smbv2 up
ip -n "$NS2" link set lo up
ip -n "$NS" route add default via 10.96.0.2
ip netns exec "$NS2" python3 -m http.server --bind 0.0.0.0 8080 >/dev/null 2>&1 &
WEB=$!
trap 'kill $WEB 2>/dev/null; ip netns delete "$NS2" 2>/dev/null; cleanup' EXIT
reach() { ip netns exec "$NS" curl -s -o /dev/null --max-time 3 "http://$1:8080/"; }
cut() { ! reach "$1"; }
for _ in $(seq 1 50); do reach $OTHER && break; sleep 0.1; done

HOSTS=$T/hosts
cat >"$HOSTS" <<EOF
127.0.0.1	localhost
::1		localhost ip6-localhost
$A1	www.social.test	# the site, by hand
0.0.0.0 ads.social.test
127.0.0.2 lo.social.test
$OTHER unlisted.test
$V6 v6.social.test
not-an-address bad.social.test
EOF
cat >"$CONF" <<'CONF'
[daemon]
listen = 127.0.0.153:53
intercept = no
control_group = smbreak-test-nogroup
[list social]
domains = social.test
[list video]
domains = video.test
CONF
start_daemon --hosts-file "$HOSTS"
eq "at start: the listed line's address, and only it" "$(set_words learned4_social)" "$A1"
eq "IPv6 too" "$(set_words learned6_social)" "$V6"
eq "an unlisted line teaches nothing" "$(set_words learned4_video)" ""
grep -q "hosts: $HOSTS: 4 listed names, 2 addresses learned" "$LOG" && ok || fail "the read is logged"
check "outside a break the site is reached" reach $A1

expect_rc 0 "pause" smctl pause 10m
check "during the break the hosts line's address is cut" cut $A1
check "an unlisted address is not" reach $OTHER

# Written in place during the break: learned at once.
echo "$A2 m.social.test" >>"$HOSTS"
for _ in $(seq 1 40); do [ "$(set_words learned4_social)" = "$A1 $A2" ] && break; sleep 0.05; done
eq "a line appended during the break is learned" "$(set_words learned4_social)" "$A1 $A2"
check "and its address cut" cut $A2
[ "$(js '"blocked" in j' check $A2)" = true ] && ok || fail "smctl check agrees"

# Replaced (a new inode, as sed -i and editors write).
sed -i "s/^$OTHER unlisted.test/$A3 alias.social.test/" "$HOSTS"
for _ in $(seq 1 40); do [ "$(set_words learned4_social)" = "$A1 $A2 $A3" ] && break; sleep 0.05; done
eq "a line in a replaced file is learned" "$(set_words learned4_social)" "$A1 $A2 $A3"
check "and cut" cut $A3
expect_rc 0 "resume" smctl resume

# A reload that lists a name of the file learns it.
echo "$OTHER clips.tv.test" >>"$HOSTS"
sleep 0.3
eq "not listed yet: nothing for video" "$(set_words learned4_video)" ""
sed -i 's/^domains = video.test$/domains = video.test tv.test/' "$CONF"
expect_rc 0 "reload" smctl reload
for _ in $(seq 1 40); do [ "$(set_words learned4_video)" = "$OTHER" ] && break; sleep 0.05; done
eq "after the reload video's name is learned" "$(set_words learned4_video)" "$OTHER"

# As a break starts, the file is read again: an entry gone from the sets
# (here, deleted by hand) is back.
ip netns exec "$NS" nft delete element inet smbreak learned4_social "{ $A1 }"
expect_rc 0 "pause again" smctl pause 10m
for _ in $(seq 1 40); do set_words learned4_social | grep -qw "$A1" && break; sleep 0.05; done
set_words learned4_social | grep -qw "$A1" && ok || fail "the break's start learns the file again: $(set_words learned4_social)"
check "and the site is cut" cut $A1

# An IPv4-mapped line reaches the IPv4 address: learned as that.
check "not yet cut" reach $A4
echo "::ffff:$A4 mapped.social.test" >>"$HOSTS"
for _ in $(seq 1 40); do set_words learned4_social | grep -qw "$A4" && break; sleep 0.05; done
set_words learned4_social | grep -qw "$A4" && ok || fail "::ffff:$A4 is learned as $A4"
check "and cut" cut $A4
stop_daemon
finish
