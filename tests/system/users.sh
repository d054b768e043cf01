#!/bin/bash
# Breaks for some users of a shared machine: two users made by the test
# (alice and bob, in a passwd file bound over /etc/passwd in a mount
# namespace of the test's own), a pause and a scheduled break for alice only.
# At the address layer alice's connections to a learned address are refused,
# one she opened before the break included, while bob's work (`nft -j` shows
# the meta skuid rules); at the DNS layer dig run as alice gets NXDOMAIN with
# EDE 15 and dig run as bob the answer. status, check --user and schedule say
# for whom; a pause for other users waits; an unknown user is a warning.
if [ -z "${SMB_USERS_NS:-}" ]; then
	command -v unshare >/dev/null && command -v setpriv >/dev/null || {
		echo "skip: needs unshare and setpriv" >&2
		exit 77
	}
	[ "$(id -u)" -eq 0 ] || { echo "skip: needs root" >&2; exit 77; }
	SMB_USERS_NS=1 exec unshare -m --propagation private "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
export TZ=UTC
command -v dig >/dev/null && command -v dnsmasq >/dev/null && command -v curl >/dev/null || {
	echo "skip: needs dig, dnsmasq and curl" >&2
	exit 77
}

ALICE=4201 BOB=4202
cp /etc/passwd "$T/passwd"
printf 'alice:x:%d:%d::/nonexistent:/bin/sh\nbob:x:%d:%d::/nonexistent:/bin/sh\n' \
	$ALICE $ALICE $BOB $BOB >>"$T/passwd"
chmod 644 "$T/passwd"
mount --bind "$T/passwd" /etc/passwd || { echo "skip: cannot bind /etc/passwd" >&2; exit 77; }

UP=192.0.2.53 SOCIAL_A=10.97.1.1
NS2=smbt2-$$
ip netns add "$NS2"
ip link add smbv1 netns "$NS" type veth peer name smbv2 netns "$NS2"
ip -n "$NS" addr add 10.97.0.1/24 dev smbv1
ip -n "$NS" link set smbv1 up
ip -n "$NS2" addr add 10.97.0.2/24 dev smbv2
ip -n "$NS2" addr add "$SOCIAL_A/32" dev smbv2
ip -n "$NS2" link set smbv2 up
ip -n "$NS2" link set lo up
ip -n "$NS" route add default via 10.97.0.2
ip -n "$NS" addr add "$UP/32" dev lo
ip netns exec "$NS2" python3 -m http.server --bind 0.0.0.0 8080 >/dev/null 2>&1 &
WEB=$!
# A stream: a byte every 0.1 s for a minute, so a connection stays open.
ip netns exec "$NS2" python3 -c '
import socket, threading, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 8081))
s.listen(8)
def feed(c):
    try:
        c.recv(1024)
        c.sendall(b"HTTP/1.0 200 OK\r\n\r\n")
        for _ in range(600):
            c.sendall(b"x")
            time.sleep(0.1)
    except OSError:
        pass
    c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=feed, args=(c,), daemon=True).start()
' >"$T/stream.log" 2>&1 &
STREAM=$!
ip netns exec "$NS" dnsmasq --keep-in-foreground -C /dev/null --no-hosts --no-resolv --no-poll \
	--bind-interfaces --listen-address=$UP --port=53 --user=root --group=root \
	--pid-file="$T/dnsmasq.pid" --address=/a.social.test/$SOCIAL_A >"$T/dnsmasq.log" 2>&1 &
DNSMASQ=$!
wait_dns $UP a.social.test $SOCIAL_A
SA= SB=
trap 'kill $WEB $STREAM $DNSMASQ $SA $SB 2>/dev/null; ip netns delete "$NS2" 2>/dev/null; cleanup' EXIT

write_conf() { # extra [break] text
	cat >"$CONF" <<CONF
[daemon]
listen = 127.0.0.153:53
upstream = $UP
intercept = yes

[list social]
domains = social.test

[list video]
domains = video.test
$1
CONF
}
write_conf ""
start_daemon
for _ in $(seq 1 100); do # the servers in the other namespace are up
	ip netns exec "$NS" curl -s -o /dev/null -m 1 "http://$SOCIAL_A:8080/" &&
		ip netns exec "$NS" curl -s -o /dev/null -m 0.3 "http://$SOCIAL_A:8081/"
	[ $? -eq 28 ] && break # the stream timed out: it is there
	sleep 0.1
done

as() { # UID COMMAND...: run in the daemon's namespace as that user
	local uid=$1
	shift
	ip netns exec "$NS" setpriv --reuid "$uid" --regid "$uid" --clear-groups "$@"
}
get() { as "$1" curl -s -o /dev/null -m 3 "http://$SOCIAL_A:8080/" && echo open || echo cut; }
dg() { as "$1" dig @127.0.0.153 +time=3 +tries=1 a.social.test A; }
# stream UID: curl reading the stream in the background, its output in a file
stream() {
	as "$1" curl -s -N -m 60 "http://$SOCIAL_A:8081/" >"$T/stream.$1" 2>&1 &
	echo $!
}
alive() { kill -0 "$1" 2>/dev/null && echo alive || echo gone; }
uid_rules() { nftj "sorted(set(e['match']['right'] for r in rules('block') for e in r['expr'] if 'match' in e and e['match']['left'] == {'meta': {'key': 'skuid'}}))"; }

# --- no break: both users reach the address, the name is learned ------------
OUT=$(dg $BOB)
contains "bob's answer before any break" "$OUT" "$SOCIAL_A"
eq "no break: both reach it" "$(get $ALICE) $(get $BOB)" "open open"
SA=$(stream $ALICE)
SB=$(stream $BOB)
sleep 0.5
eq "streams open" "$(alive "$SA") $(alive "$SB")" "alive alive"

# --- a pause for alice --------------------------------------------------------
expect_rc 0 "pause for alice" smctl pause 10m --list social --user alice
expect_in "for alice" "the pause says for whom"
sleep 0.3
eq "meta skuid rules for alice only" "$(uid_rules)" "[$ALICE]"
eq "no rule for everyone" "$(nftj "len([r for r in rules('block') if 'lookup' in str(r) and 'skuid' not in str(r)])")" 0
eq "alice cut, bob open" "$(get $ALICE) $(get $BOB)" "cut open"
for _ in $(seq 1 50); do [ "$(alive "$SA")" = gone ] && break; sleep 0.1; done
eq "alice's connection opened before the pause is cut, bob's runs" \
	"$(alive "$SA") $(alive "$SB")" "gone alive"
OUT=$(dg $ALICE)
contains "dig as alice: NXDOMAIN" "$OUT" "status: NXDOMAIN"
expect_in "EDE: 15 (Blocked)" "dig as alice: with EDE 15"
OUT=$(dg $BOB)
contains "dig as bob: the answer" "$OUT" "status: NOERROR"
contains "dig as bob: its address" "$OUT" "$SOCIAL_A"
# intercepted (nothing listens at 10.97.0.2): dig's socket is connected to
# that address, so only the mark the output hook puts on the datagram tells
# its user
OUT=$(as $ALICE dig @10.97.0.2 +time=3 +tries=1 a.social.test A)
contains "intercepted dig as alice: NXDOMAIN" "$OUT" "status: NXDOMAIN"
OUT=$(as $BOB dig @10.97.0.2 +time=3 +tries=1 a.social.test A)
contains "intercepted dig as bob: the answer" "$OUT" "$SOCIAL_A"
eq "the mark rules (ports 53 and 153): queries carry their uid" \
	"$(nftj "len([r for r in rules('block') if 'skuid' in str(r) and 'mangle' in str(r)])")" 2
OUT=$(ip netns exec "$NS" dig @127.0.0.153 +tcp +time=3 +tries=1 a.social.test A)
contains "dig over TCP as root: the answer" "$OUT" "$SOCIAL_A"
OUT=$(as $ALICE dig @127.0.0.153 +tcp +time=3 +tries=1 a.social.test A)
contains "dig over TCP as alice: NXDOMAIN" "$OUT" "status: NXDOMAIN"
# intercepted over TCP: no mark; the sender's socket is found by the address
# it connected to before the DNAT
OUT=$(as $ALICE dig @10.97.0.2 +tcp +time=3 +tries=1 a.social.test A)
contains "intercepted dig over TCP as alice: NXDOMAIN" "$OUT" "status: NXDOMAIN"
OUT=$(as $BOB dig @10.97.0.2 +tcp +time=3 +tries=1 a.social.test A)
contains "intercepted dig over TCP as bob: the answer" "$OUT" "$SOCIAL_A"

expect_rc 0 "status" smctl status
expect_in "Blocking:  social, for alice only" "status says for whom"
eq "status json: in force for some" "$(js '[(s["lists"], s["users"]) for s in j["in_force_for_some"]]' status)" '[[["social"], ["alice"]]]'
expect_rc 1 "check without --user: not blocked for everyone" smctl check a.social.test
expect_in "pause                    blocks it (on now), for alice" "check names the pause's users"
expect_rc 0 "check --user alice" smctl check a.social.test --user alice
expect_in "is blocked now" "blocked for alice"
expect_rc 1 "check --user bob" smctl check a.social.test --user bob
expect_rc 0 "check of the address --user alice" smctl check $SOCIAL_A --user alice
expect_rc 2 "check --user of nobody" smctl check a.social.test --user nosuchuser-zz
expect_in "no user named 'nosuchuser-zz'" "check names the unknown user"

# one pause at a time: a pause for bob (or everyone) waits for alice's
expect_rc 1 "pause for bob while alice's runs" smctl pause 5m --user bob
expect_in "a pause for alice is on until" "the refusal says whose pause runs"
expect_rc 1 "pause for everyone while alice's runs" smctl pause 5m
expect_rc 0 "pause for alice again extends hers" smctl pause 20m --user alice

# the pause's users survive a restart
stop_daemon
start_daemon
eq "after a restart: alice still cut, bob open" "$(get $ALICE) $(get $BOB)" "cut open"

expect_rc 0 "resume" smctl resume
sleep 0.3
eq "after the pause: both reach it" "$(get $ALICE) $(get $BOB)" "open open"
eq "no uid rules left" "$(uid_rules)" "[]"
OUT=$(dg $ALICE)
contains "after the pause: alice's answer" "$OUT" "$SOCIAL_A"

# --- a planned pause for alice: it starts for her only --------------------------
expect_rc 0 "plan a pause for alice" smctl pause 10m --list social --user alice --at "$(clock_in 8)"
expect_in "for alice (smctl cancel" "the plan's reply names her"
eq "schedule json: the plan's users" \
	"$(js '[b.get("users") for b in j["breaks"] if b.get("kind") == "planned"][0]' schedule --days 1)" '["alice"]'
stop_daemon
: >"$LOG"
start_daemon
eq "the plan's users survive a restart" \
	"$(js '[b.get("users") for b in j["breaks"] if b.get("kind") == "planned"][0]' schedule --days 1)" '["alice"]'
eq "before it starts: both reach it" "$(get $ALICE) $(get $BOB)" "open open"
wait_log "pause started" 15 && ok || fail "the planned pause starts"
sleep 0.3
eq "planned pause for alice: alice cut, bob open" "$(get $ALICE) $(get $BOB)" "cut open"
expect_rc 0 "resume" smctl resume
sleep 0.3

# --- a scheduled break for alice, an unknown user a warning --------------------
write_conf "[break kids]
times = 00:00-24:00
lists = social
users = alice nosuchuser-zz"
expect_rc 0 "check-config with an unknown user" "$SMBREAKD" --check-config -f "$CONF" --data-dir "$SMB_SOURCE_DIR/conf"
expect_in "warning: user 'nosuchuser-zz' of break 'kids' does not exist" "check-config warns"
expect_in "configuration OK" "and passes"
expect_rc 0 "reload with the break" smctl reload
expect_in "warning: user 'nosuchuser-zz'" "reload warns of the unknown user"
sleep 0.3
eq "break for alice: alice cut, bob open" "$(get $ALICE) $(get $BOB)" "cut open"
OUT=$(dg $ALICE)
contains "break: dig as alice NXDOMAIN" "$OUT" "status: NXDOMAIN"
OUT=$(dg $BOB)
contains "break: dig as bob the answer" "$OUT" "$SOCIAL_A"
expect_rc 0 "schedule" smctl schedule --days 1
expect_in "for alice nosuchuser-zz" "schedule shows the break's users"
eq "schedule json: users" "$(js '[b.get("users") for b in j["breaks"]][0]' schedule --days 1)" '["alice", "nosuchuser-zz"]'

# narrowing would be refused only for a strict break; this one is not
write_conf ""
expect_rc 0 "reload without the break" smctl reload
sleep 0.3
eq "after the break: both reach it" "$(get $ALICE) $(get $BOB)" "open open"

finish
