#!/bin/bash
# `smctl pause --device` in gateway mode, on gateway.sh's home network: a
# pause for phone 1 gives phone 1 NXDOMAIN with EDE 15 and resets its TCP to
# the learned address while phone 2 works; status, schedule, watch and the
# state file name the device; a pause for everyone is refused while it runs;
# a reload that renumbers the [device] sections and a restart keep it on
# phone 1; resume frees both. An unknown device is a usage error with "did
# you mean"; in host mode --device is refused.
. "$(dirname "$0")/gateway_lib.sh"
gateway_up

# phone N blocked: its query gets NXDOMAIN + EDE 15 and its TCP is reset;
# phone N free: the answer, and its TCP connects.
blocked() { # blocked P WHAT
	OUT=$(dg "$1" @"$R4" "$UP_LISTED" A)
	expect_in "status: NXDOMAIN" "$2: NXDOMAIN"
	expect_in "EDE: 15 (Blocked)" "$2: EDE 15"
	expect_rc 7 "$2: TCP to the learned address is reset" \
		ip netns exec "$1" curl -s -o /dev/null -m 3 "http://$UP_LISTED_A:8080/"
}
free() { # free P WHAT
	eq "$2: the answer" "$(dg "$1" +short @"$R4" "$UP_LISTED" A)" "$UP_LISTED_A"
	check "$2: TCP connects" ip netns exec "$1" curl -s -o /dev/null -m 3 \
		"http://$UP_LISTED_A:8080/"
}

free "$P1" "phone 1 before the pause"
free "$P2" "phone 2 before the pause"

expect_rc 2 "pause --device of no device" smctl pause 10m --device phne1
expect_in "no device 'phne1' (devices: phone1, phone2; did you mean 'phone1'?)" \
	"names the devices there are, and the closest"
# planned for a device: kept with it, then cancelled
expect_rc 0 "--device with --at plans it" smctl pause 10m --device phone1 --at 23:59
expect_in "for phone1 (smctl cancel" "the reply names the device"
PLAN=$(js '[b["id"] for b in j["breaks"] if b.get("kind") == "planned"][0]' schedule --days 2)
eq "schedule json: the plan's device" \
	"$(js '[b.get("device_names") for b in j["breaks"] if b.get("kind") == "planned"][0]' schedule --days 2)" '["phone1"]'
expect_rc 0 "cancel it" smctl cancel "$PLAN"

"$SMCTL" -s "$SOCK" watch >"$T/watch.out" 2>&1 &
W=$!
sleep 0.3
expect_rc 0 "pause 10m --device phone1" smctl pause 10m --device phone1
expect_in "for phone1" "the reply names the device"
sleep 0.3
blocked "$P1" "phone 1 during its pause"
free "$P2" "phone 2 during phone 1's pause"
OUT=$(in1 dig +time=3 +tries=1 @"$UP4" "$UP_LISTED" A)
expect_in "status: NXDOMAIN" "phone 1's query to an internet address too"

expect_rc 0 "status" smctl status
expect_in "for device phone1" "status: the pause's row names the device"
expect_in "Blocking:  social, for device phone1 until" "status: blocking for phone 1"
case "$OUT" in *"for everyone"*) fail "status: the pause is not for everyone: $OUT" ;; *) ok ;; esac
eq "--json: the pause's devices" \
	"$(js '[b.get("device_names") for b in j["breaks"] if b["kind"] == "adhoc"]' status)" \
	'[["phone1"]]'
expect_rc 0 "schedule" smctl schedule
expect_in "for device phone1" "schedule names the device"
contains "watch: the pause started for phone1" "$(cat "$T/watch.out")" "for phone1"
kill "$W" 2>/dev/null
contains "the state file keeps the device by name" "$(cat "$STATE/state")" "devices phone1"

expect_rc 1 "a pause for everyone waits for phone 1's" smctl pause 20m
expect_in "a pause for phone1 is on until" "and says whose runs"
expect_rc 0 "the same pause again extends it" smctl pause 15m --device phone1

# A reload that renumbers the devices: the pause stays phone 1's.
conf "" swap
expect_rc 0 "a reload putting phone 2's section first" smctl reload
sleep 0.3
blocked "$P1" "phone 1 after the renumbering reload"
free "$P2" "phone 2 after the renumbering reload"
dev=$(nftj 'rules("block_devices")')
contains "the device rule matches phone 1's MAC" "$dev" "\"$MAC1\""
case "$dev" in *"$MAC2"*) fail "phone 2 has no rule: $dev" ;; *) ok ;; esac

# A restart (the config as it is): the pause comes back for phone 1.
kill9_daemon
start_daemon
sleep 0.5
blocked "$P1" "phone 1 after a restart"
free "$P2" "phone 2 after a restart"

expect_rc 0 "resume" smctl resume
sleep 0.3
free "$P1" "phone 1 after resume"
free "$P2" "phone 2 after resume"
eq "the devices' rules are gone" "$(nftj 'len(rules("block_devices"))')" 0

# Host mode: no devices to pause.
cat >"$CONF" <<-CONF
	[daemon]
	listen = 127.0.0.153:53
	upstream = $UP4

	[list social]
	domains = $UP_LISTED
CONF
expect_rc 0 "a reload into host mode" smctl reload
expect_rc 2 "pause --device in host mode" smctl pause 10m --device phone1
expect_in "--device needs gateway mode" "says why"
eq "and no pause started" "$(js '[b for b in j.get("breaks", []) if b["kind"] == "adhoc"]' status)" '[]'
kill9_daemon
finish
