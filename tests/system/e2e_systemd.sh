#!/bin/bash
# smbreak as a real service, end to end: the .deb built with CPack is installed
# inside a Debian 12 container booted with systemd-nspawn (private network, its own
# systemd as PID 1) and driven as an admin would, with systemctl, smctl, dig,
# nft and journalctl: install, enable --now, permissions by group, a pause that
# blocks by name and by address, a rejected reload, restart during a strict
# break, the watchdog, stop, an upgrade to a second build whose default config
# changed (edited and unedited), remove without nft(8) and purge, none of
# them printing a warning; and lintian on the package, where it is installed.
#
# How it drives the container: --register=no leaves machined out (the host may
# not run systemd), so `machinectl shell` and `systemd-run -M` cannot reach it;
# commands enter the namespaces of the container's PID 1 with nsenter(1), and
# systemctl inside talks to that PID 1 over its private socket.
set -u
here=$(dirname "$0")
. "$here/assert.sh"
: "${SMB_SOURCE_DIR:?set by ctest}" "${SMB_BUILD_DIR:?set by ctest}"

skip() {
	echo "skip: $*" >&2
	exit 77
}
[ "$(id -u)" -eq 0 ] || skip "needs root to boot a container with systemd-nspawn"
for tool in systemd-nspawn debootstrap nsenter cpack python3; do
	command -v "$tool" >/dev/null || skip "needs $tool (packages systemd-container, debootstrap, cmake, python3)"
done

W=$(mktemp -d /tmp/smb-e2e.XXXXXX)
MACHINE=smbe2e-$$
NSPAWN=
CPID=

cleanup() {
	if [ -n "$NSPAWN" ] && kill -0 "$NSPAWN" 2>/dev/null; then
		if [ "$FAILS" -ne 0 ] && [ -n "$CPID" ]; then
			echo "--- journal of smbreakd in the container ---"
			inside journalctl -u smbreakd --no-pager -n 60
		fi
		kill -TERM "$NSPAWN" # nspawn powers the container off
		for _ in $(seq 100); do kill -0 "$NSPAWN" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$NSPAWN" 2>/dev/null
		wait "$NSPAWN" 2>/dev/null
	fi
	rm -rf "$W" "/run/systemd/nspawn/propagate/$MACHINE"
}
trap cleanup EXIT

die() {
	echo "FAIL: $*" >&2
	exit 1
}

# ---- the packages: a /usr build of its own, kept in the build tree between runs ----
# Two versions of it: the second ships a changed default config, for the
# upgrade. Only cpack runs again for it; the binaries are the same.
pkgbuild=$SMB_BUILD_DIR/e2e-deb
v1=0.1.0 v2=0.1.0+e2e2
mkdir -p "$W/deb"
cp "$SMB_SOURCE_DIR/conf/smbreak.conf" "$W/deb/default2.conf"
printf '\n; the second build'"'"'s default: changed, for the upgrade test\n' >>"$W/deb/default2.conf"
pkg() { # pkg VERSION DEFAULT-CONFIG
	cmake -S "$SMB_SOURCE_DIR" -B "$pkgbuild" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON \
		-DSMB_DEB_VERSION="$1" -DSMB_DEFAULT_CONF="$2" &&
		cmake --build "$pkgbuild" --target smbreakd smctl smbreak-notify -j"$(nproc)" &&
		(cd "$pkgbuild" && cpack -G DEB -B "$W/deb")
}
{
	pkg "$v2" "$W/deb/default2.conf" && pkg "$v1" "$SMB_SOURCE_DIR/conf/smbreak.conf"
} >"$W/build.log" 2>&1 || { tail -n 40 "$W/build.log"; die "building the .deb"; }
deb=smbreak_${v1}_amd64.deb deb2=smbreak_${v2}_amd64.deb
[ -f "$W/deb/$deb" ] && [ -f "$W/deb/$deb2" ] || die "no .deb in $W/deb: $(ls "$W/deb")"

# Lintian, where the host has it (tests/run-all.sh installs it): nothing to say.
if command -v lintian >/dev/null; then
	OUT=$(lintian "$W/deb/$deb" 2>&1 | grep -v 'running with root privileges')
	eq "lintian has nothing to say about the package" "$OUT" ""
else
	echo "lintian not installed: skipping its check" >&2
fi

# dpkg's output must be free of warnings (the tmpfiles line that collided
# with DynamicUser's /var/lib/smbreak link printed one on every install).
quiet_dpkg() { # quiet_dpkg DESCRIPTION: $OUT of the last dpkg
	case "$OUT" in
	*arning* | *"not a directory"* | *rror*) fail "$1 printed a warning: $OUT" ;;
	*) ok ;;
	esac
}

# ---- the container ----
root=$("$here/e2e/rootfs.sh") || die "making the Debian 12 root filesystem"
# --ephemeral boots a throwaway copy, so the cached tree stays clean.
systemd-nspawn --register=no --keep-unit --quiet -b -D "$root" --ephemeral --private-network \
	-M "$MACHINE" --console=read-only --bind-ro="$W/deb:/mnt/deb" >"$W/boot.log" 2>&1 &
NSPAWN=$!
# The container's PID 1 is the child of systemd-nspawn that has become
# systemd: a child that is still nspawn's own setup may be gone a moment
# later (seen once: every nsenter then failed for want of its namespaces).
for _ in $(seq 300); do
	CPID=$(pgrep -P "$NSPAWN" -x systemd | head -n 1)
	[ -n "$CPID" ] && break
	kill -0 "$NSPAWN" 2>/dev/null || break
	sleep 0.1
done
if [ -z "$CPID" ]; then
	tail -n 20 "$W/boot.log" >&2
	skip "systemd-nspawn could not boot a container on this machine (log above)"
fi

# inside COMMAND...: run in the container, as root, with a clean environment.
inside() {
	nsenter -t "$CPID" -m -u -i -n -p -C -r -w \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"
}
# as_alice COMMAND...: the same as the unprivileged user alice.
as_alice() { inside runuser -u alice -- "$@"; }

# Once its systemd listens, --wait waits for the end of the boot.
for _ in $(seq 300); do
	inside test -S /run/systemd/private && break
	sleep 0.1
done
state=$(inside timeout 60 systemctl is-system-running --wait 2>&1)
case "$state" in
running | degraded) ;;
*)
	tail -n 30 "$W/boot.log" >&2
	die "the container did not boot: $state"
	;;
esac

# nftj EXPR: EXPR in Python over `nft -j list table inet smbreak` in the
# container (j: the objects, [] without the table; rules(): the block chain's).
nftj() {
	inside nft -j list table inet smbreak 2>/dev/null | python3 -c '
import json, sys
text = sys.stdin.read()
j = json.loads(text)["nftables"] if text.strip() else []
def rules(chain="block"):
    return [o["rule"] for o in j if "rule" in o and o["rule"]["chain"] == chain]
print(json.dumps(eval(sys.argv[1])))' "$1"
}
unit() { inside systemctl show -p "$1" --value smbreakd; }
mainpid() { unit MainPID; }
# wait_for SECONDS COMMAND...: until the command succeeds.
wait_for() {
	local n=$(($1 * 10))
	shift
	while ! "$@" >/dev/null 2>&1; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 0.1
	done
}

# ---- install: enabled and started by postinst, as Debian does ----
expect_rc 0 "dpkg -i installs the package" inside dpkg -i "/mnt/deb/$deb"
quiet_dpkg "the install"
eq "enabled by postinst" "$(inside systemctl is-enabled smbreakd)" enabled
eq "started by postinst" "$(inside systemctl is-active smbreakd)" active
eq "its sockets enabled too" "$(inside systemctl is-enabled smbreakd.socket)" enabled
eq "and listening" "$(inside systemctl is-active smbreakd.socket)" active
check "the smbreak group exists (sysusers)" inside getent group smbreak
eq "the notifications' user unit is enabled for every user" \
	"$(inside systemctl --global is-enabled smbreak-notify.service)" enabled
check "in each graphical session" \
	inside test -L /etc/systemd/user/graphical-session.target.wants/smbreak-notify.service
for f in /usr/sbin/smbreakd /usr/bin/smctl /usr/share/man/man8/smbreakd.8.gz /usr/share/man/man1/smctl.1.gz \
	/usr/share/man/man5/smbreak.conf.5.gz /usr/share/man/man1/smbreak-notify.1.gz \
	/usr/share/bash-completion/completions/smctl \
	/usr/share/doc/smbreak/copyright /usr/share/doc/smbreak/changelog.gz \
	/usr/share/smbreak/services/facebook.list /usr/lib/sysusers.d/smbreak.conf \
	/usr/lib/tmpfiles.d/smbreak.conf /lib/systemd/system/smbreakd.service \
	/lib/systemd/system/smbreakd.socket /usr/bin/smbreak-notify \
	/usr/lib/systemd/user/smbreak-notify.service; do
	check "installed: $f" inside test -e "$f"
done
eq "the default config is a conffile" "$(inside dpkg-query -W -f='${Conffiles}' smbreak | awk '{print $1}')" \
	/etc/smbreak/smbreak.conf
expect_rc 0 "systemd-analyze verify is clean" inside systemd-analyze verify --man=no smbreakd.service \
	smbreakd.socket
eq "systemd-analyze verify says nothing" "$OUT" ""
exposure=$(inside systemd-analyze security smbreakd.service | sed -n 's/.*exposure level for smbreakd.service: \([0-9.]*\).*/\1/p')
echo "systemd-analyze security smbreakd.service: exposure $exposure"
check "exposure $exposure is at most 1.5" python3 -c "import sys; sys.exit(not float('$exposure') <= 1.5)"
# Port 53 comes from smbreakd.socket, so the daemon does without the right to bind it.
eq "the only capability is CAP_NET_ADMIN" "$(unit CapabilityBoundingSet)" cap_net_admin
capeff=$(inside awk '/^CapEff/ {print $2}' "/proc/$(mainpid)/status")
eq "the running daemon has exactly it (bit 12)" "$capeff" 0000000000001000
OUT=$(inside journalctl -u smbreakd --no-pager -n 40)
expect_in "dns: listening on 127.0.0.153:53 (UDP and TCP, from systemd)" "the listener came from the socket unit"

check "systemctl disable --now" inside systemctl disable --now smbreakd
eq "stopped" "$(inside systemctl is-active smbreakd)" inactive
eq "its sockets disabled too (Also=)" "$(inside systemctl is-enabled smbreakd.socket)" disabled
eq "and closed (PartOf=)" "$(inside systemctl is-active smbreakd.socket)" inactive
expect_rc 0 "systemctl enable --now" inside systemctl enable --now smbreakd
# Type=notify: active only after READY=1, with a STATUS= that says what is on.
eq "active after enable --now" "$(inside systemctl is-active smbreakd)" active
eq "the sockets are back" "$(inside systemctl is-enabled smbreakd.socket) $(inside systemctl is-active smbreakd.socket)" \
	"enabled active"
# The default config's breaks may be on or not, at the hour the test runs.
case "$(unit StatusText)" in
"blocking "*" until "* | "nothing blocked; "*) ok ;;
*) fail "STATUS= says what is blocked: $(unit StatusText)" ;;
esac

# ---- a config of the test's own: one list, a break 12 hours away, a local upstream ----
# 192.0.2.0/24 (TEST-NET-1) leaves by a veth pair whose far end is in the same
# namespace and forwards nothing: a connect there hangs unless the reject rule
# answers it, so a refused connect is the rule's doing. Fixed neighbours, so
# no ARP failure ends the connect first.
inside ip link add v0 type veth peer name v1
inside ip link set v1 up
inside ip link set v0 up
inside ip addr add 192.0.2.1/24 dev v0 # the source address of what goes there
for a in 10 20 53; do
	inside ip neigh replace "192.0.2.$a" lladdr 02:00:00:00:00:01 dev v0 nud permanent
done
expect_rc 0 "upstream dnsmasq starts" inside systemd-run --unit=upstream-dns dnsmasq -k --conf-file=/dev/null \
	--listen-address=127.0.0.2 --bind-interfaces --no-resolv --no-hosts \
	--address=/blocked.test/192.0.2.10 --address=/open.test/192.0.2.20
wait_for 10 inside dig +short +time=1 +tries=1 @127.0.0.2 blocked.test || fail "upstream dnsmasq answers"
h=$(( (10#$(inside date +%H) + 12) % 24 ))
inside sh -c "cat >/etc/smbreak/smbreak.conf" <<CONF
[daemon]
upstream = 127.0.0.2

[list social]
domains = blocked.test

[break later]
times = $(printf '%02d:00-%02d:01' "$h" "$h")
lists = social
CONF
expect_rc 0 "systemctl reload with a good config" inside systemctl reload smbreakd
OUT=$(inside smctl lists)
expect_in "list   social" "the new config is in force"
expect_in "break  later" "its break is known"

# ---- permissions: read for everyone, changes for root and the group ----
inside useradd -m alice
expect_rc 0 "smctl status as alice" as_alice smctl status
expect_in "Blocking:  nothing" "nothing blocked before the pause"
expect_rc 1 "smctl pause as alice, not in the group, is refused" as_alice smctl pause 5m
expect_in "permission denied" "the refusal says why"
expect_in "sudo adduser alice smbreak, then log in again" "and how to join the group"
inside usermod -aG smbreak alice
# A process of a login from before the group was joined: groups of its own.
expect_rc 1 "a pause from a login older than the membership" \
	inside setpriv --reuid=alice --regid=alice --clear-groups smctl pause 5m
expect_in "log in again (or run \`newgrp smbreak\`)" "says a new login is needed"
expect_rc 0 "dig for the listed name before the pause" inside dig +short @127.0.0.153 blocked.test
eq "its address passes (and is learned)" "$OUT" 192.0.2.10
expect_rc 0 "smctl pause 5m as alice, in the group" as_alice smctl pause 5m
expect_in "paused until" "the pause is on"
contains "STATUS= follows the pause" "$(unit StatusText)" "blocking social until"

# ---- the pause blocks by name and by address ----
eq "reject rules in the table" "$(nftj 'sum(1 for r in rules() if any("goto" in e for e in r["expr"])) > 0')" true
eq "the learned address is in the set" \
	"$(nftj '[e for o in j if "set" in o and o["set"]["name"] == "learned4_social" for e in o["set"].get("elem", [])]' |
		grep -c 192.0.2.10)" 1
expect_rc 0 "dig for the blocked name" inside dig +time=2 +tries=1 @127.0.0.153 blocked.test
expect_in "status: NXDOMAIN" "the blocked name gets NXDOMAIN"
expect_rc 0 "dig through the port-53 intercept" inside dig +time=2 +tries=1 @192.0.2.53 blocked.test
expect_in "status: NXDOMAIN" "a query to another resolver is filtered too"
expect_rc 0 "dig for a name in no list" inside dig +short +time=2 +tries=1 @127.0.0.153 open.test
eq "other names pass" "$OUT" 192.0.2.20
# Refused at once by the rule's TCP reset; without it the connect would hang.
expect_rc 1 "a connection to the blocked address" inside timeout 5 bash -c 'exec 3<>/dev/tcp/192.0.2.10/443'
expect_in "Connection refused" "it is rejected, not left to time out"
expect_rc 124 "a connection to another address is not rejected" \
	inside timeout 2 bash -c 'exec 3<>/dev/tcp/192.0.2.20/443'

# ---- a broken config: reload fails, the old one keeps working ----
inside cp /etc/smbreak/smbreak.conf /root/good.conf
inside sh -c 'printf "[daemon]\npause_defualt = 1h\n" >>/etc/smbreak/smbreak.conf'
expect_rc 1 "systemctl reload with a broken config fails" inside systemctl reload smbreakd
eq "still active" "$(inside systemctl is-active smbreakd)" active
OUT=$(inside journalctl -u smbreakd --no-pager -n 20)
expect_in "/etc/smbreak/smbreak.conf:11: " "the journal has the error with file:line"
OUT=$(inside smctl status)
expect_in "Blocking:  social" "the pause goes on under the old config"
OUT=$(inside smctl lists)
expect_in "break  later" "the old config is still in force"
inside cp /root/good.conf /etc/smbreak/smbreak.conf

# ---- stop removes the table (no strict break); start restores the pause ----
check "systemctl stop" inside systemctl stop smbreakd
eq "no table after a clean stop" "$(nftj 'len(j)')" 0
contains "STATUS= after the stop" "$(unit StatusText)" "stopped at"
eq "nothing listens that would start it again" "$(inside systemctl is-active smbreakd.socket)" inactive
expect_rc 0 "dig while the daemon is down" inside dig +short +time=2 +tries=1 @127.0.0.2 blocked.test
eq "names resolve again with the daemon stopped" "$OUT" 192.0.2.10
check "systemctl start" inside systemctl start smbreakd
OUT=$(inside smctl status)
expect_in "Blocking:  social" "the pause is restored from /var/lib/smbreak"
# The name answers NXDOMAIN now, so the address could not be learned again:
# it is the one the stop kept.
learned() { nftj '[e for o in j if "set" in o and o["set"]["name"] == "learned4_social" for e in o["set"].get("elem", [])]' | grep -c 192.0.2.10; }
eq "the learned address is back in the set after stop and start" "$(learned)" 1
check "systemctl restart during the pause" inside systemctl restart smbreakd
eq "and after a restart" "$(learned)" 1
expect_rc 1 "a connection to the learned address after the restart" \
	inside timeout 5 bash -c 'exec 3<>/dev/tcp/192.0.2.10/443'
expect_in "Connection refused" "is still rejected"
OUT=$(inside smctl check 192.0.2.10)
expect_in "in the sets of list social" "smctl check knows it again"
expect_rc 0 "smctl resume as alice" as_alice smctl resume
eq "no reject rules after resume" "$(nftj 'len(rules())')" 0

# ---- a strict pause survives restart, the watchdog and an upgrade ----
expect_rc 0 "a strict pause" as_alice smctl pause 10m --strict
check "state written" inside test -s /var/lib/smbreak/state
pid=$(mainpid)
check "systemctl restart" inside systemctl restart smbreakd
check "a new process" test "$(mainpid)" != "$pid"
OUT=$(inside smctl --json status)
expect_in '"strict": true' "restart keeps the strict pause"
expect_rc 1 "resume is refused" as_alice smctl resume
expect_in "strict" "the refusal names the strict pause"

# A short watchdog through a drop-in; SIGSTOP stops the loop's WATCHDOG=1.
inside mkdir -p /etc/systemd/system/smbreakd.service.d
inside sh -c 'printf "[Service]\nWatchdogSec=2s\nTimeoutAbortSec=1s\nRestartSec=1s\n" \
	>/etc/systemd/system/smbreakd.service.d/e2e-watchdog.conf'
inside systemctl daemon-reload
check "restart with the short watchdog" inside systemctl restart smbreakd
n0=$(unit NRestarts)
sleep 3 # several watchdog periods: a daemon that pings keeps running
eq "no watchdog restart while it pings" "$(unit NRestarts)" "$n0"
pid=$(mainpid)
inside kill -STOP "$pid"
restarted() { [ "$(unit NRestarts)" -gt "$n0" ] && [ "$(inside systemctl is-active smbreakd)" = active ]; }
check "the watchdog restarts a stopped daemon" wait_for 20 restarted
check "with a new process" test "$(mainpid)" != "$pid"
OUT=$(inside journalctl -u smbreakd --no-pager -n 40)
expect_in "Watchdog timeout" "the journal says why"
expect_in "removed the port-53 redirect" "ExecStopPost took the dead daemon's redirect out"
OUT=$(inside smctl --json status)
expect_in '"strict": true' "the strict pause survives the watchdog restart"
inside rm -r /etc/systemd/system/smbreakd.service.d
inside systemctl daemon-reload

# ---- a broken config and a restart during the strict pause: the last good one ----
inside cp /etc/smbreak/smbreak.conf /root/keep.conf
inside sh -c 'printf "bogus = 1\n" >>/etc/smbreak/smbreak.conf'
check "restart with a broken config during the strict pause" inside systemctl restart smbreakd
eq "active on the last good configuration" "$(inside systemctl is-active smbreakd)" active
OUT=$(inside smctl status)
expect_in "running on the last good configuration" "smctl status says so"
OUT=$(inside smctl --json status)
expect_in '"strict": true' "the strict pause goes on"
OUT=$(inside journalctl -u smbreakd --no-pager -n 60)
expect_in "starts on the last good configuration" "the journal says so"
inside cp /root/keep.conf /etc/smbreak/smbreak.conf
check "a reload of the fixed file" inside systemctl reload smbreakd

# ---- the journal: transitions with priorities ----
inside journalctl -u smbreakd -o json --no-pager >"$W/journal.json"
prio() { # prio MESSAGE-PREFIX: the PRIORITY fields of smbreakd's lines that start so
	python3 -c '
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o.get("SYSLOG_IDENTIFIER") == "smbreakd" and str(o.get("MESSAGE", "")).startswith(sys.argv[2]):
        print(o.get("PRIORITY"))' "$W/journal.json" "$1" | sort -u | tr '\n' ' '
}
eq "pause starts are notices" "$(prio 'pause started')" "5 "
eq "a rejected reload is an error" "$(prio 'reload: /etc/smbreak/smbreak.conf rejected')" "3 "
eq "a refused pause is info" "$(prio 'control: refused')" "6 "

# ---- upgrade to a build whose default changed: the edited config is kept ----
pid=$(mainpid)
# dpkg would ask (edited, and the default changed); --force-confold answers
# "keep mine" as an admin would, and puts the new default beside it.
expect_rc 0 "upgrading to $v2" inside dpkg -i --force-confold "/mnt/deb/$deb2"
quiet_dpkg "the upgrade"
eq "the new version is installed" "$(inside dpkg-query -W -f='${Version}' smbreak)" "$v2"
check "the edited config is kept" inside cmp /etc/smbreak/smbreak.conf /root/good.conf
check "the new default is beside it" inside cmp /etc/smbreak/smbreak.conf.dpkg-dist /mnt/deb/default2.conf
check "restarted by the upgrade" test "$(mainpid)" != "$pid"
eq "active after the upgrade" "$(inside systemctl is-active smbreakd)" active
OUT=$(inside smctl --json status)
expect_in '"strict": true' "the upgrade keeps the strict pause"

# ---- remove during the strict pause, with nft(8) gone: smbreakd removes the table ----
inside mv /usr/sbin/nft /usr/sbin/nft.away
expect_rc 0 "dpkg -r" inside dpkg -r smbreak
quiet_dpkg "the remove"
inside mv /usr/sbin/nft.away /usr/sbin/nft
eq "stopped by prerm" "$(inside systemctl is-active smbreakd)" inactive
eq "its sockets too" "$(inside systemctl is-active smbreakd.socket)" inactive
eq "the table is gone after remove, strict pause or not" "$(nftj 'len(j)')" 0
check "the config stays after remove" inside cmp /etc/smbreak/smbreak.conf /root/good.conf
check "smbreakd is gone" inside test ! -e /usr/sbin/smbreakd
expect_rc 0 "dpkg -P" inside dpkg -P smbreak
quiet_dpkg "the purge"
check "purge drops the config" inside test ! -e /etc/smbreak
check "purge drops the state" inside test ! -e /var/lib/smbreak -a ! -e /var/lib/private/smbreak
check "purge drops the user unit's link" \
	inside test ! -e /etc/systemd/user/graphical-session.target.wants/smbreak-notify.service

# ---- an upgrade of an unedited config takes the new default, silently ----
expect_rc 0 "a fresh install of $v1" inside dpkg -i "/mnt/deb/$deb"
expect_rc 0 "upgrading it to $v2" inside dpkg -i "/mnt/deb/$deb2"
quiet_dpkg "the upgrade of an unedited config"
check "the unedited config is the new default" inside cmp /etc/smbreak/smbreak.conf /mnt/deb/default2.conf
eq "active after it" "$(inside systemctl is-active smbreakd)" active

# ---- gateway mode boots under systemd, its LAN bridge coming up after it ----
inside sh -c "cat >/etc/smbreak/smbreak.conf" <<CONF
[daemon]
mode = gateway
lan = br-lan
upstream = 127.0.0.2

[list social]
domains = blocked.test

[device tablet]
mac = 02:00:00:00:00:42

[break tablet]
times = 00:00-24:00
lists = social
devices = tablet
CONF
check "a restart in gateway mode" inside systemctl restart smbreakd
eq "active in gateway mode" "$(inside systemctl is-active smbreakd)" active
inside ip link add br-lan type bridge
inside ip link set br-lan up
inside ip neigh replace 192.0.2.42 lladdr 02:00:00:00:00:42 dev br-lan nud permanent
expect_rc 0 "smctl devices" inside smctl devices
expect_in "tablet           02:00:00:00:00:42" "the device is listed"
expect_in "192.0.2.42" "where the neighbour table has it (the sandbox reads it)"
expect_in "blocked    social until" "with its break"
eq "the LAN's port 53 goes to the forwarder by interface name" \
	"$(nftj 'any(e.get("match", {}).get("right") == "br-lan" for r in rules("intercept_routed") for e in r["expr"])')" true
eq "the tablet's MAC jumps to its chain" \
	"$(nftj 'any(e.get("match", {}).get("right") == "02:00:00:00:00:42" for r in rules("block_devices") for e in r["expr"])')" true

# ---- a broken config outside a strict break: a clean failed state, not a loop ----
inside sh -c 'printf "bogus = 1\n" >>/etc/smbreak/smbreak.conf'
inside systemctl restart smbreakd 2>/dev/null
# It stops either at its own start limit (failed) or at its socket's, which
# fails it as a dependency (inactive): either way no longer restarting.
failed_for_good() {
	case "$(inside systemctl is-active smbreakd)" in failed | inactive) ;; *) return 1 ;; esac
	[ "$(unit Result)" != success ] && [ "$(unit SubState)" != auto-restart ]
}
check "the unit ends failed after a few tries" wait_for 60 failed_for_good
n=$(unit NRestarts)
sleep 5
eq "and stays so (no restart loop)" "$(unit NRestarts)" "$n"
check "not running" test "$(inside systemctl is-active smbreakd)" != active
check "at most 5 starts" test "$n" -le 5
OUT=$(inside journalctl -u smbreakd --no-pager -n 80)
expect_in "no strict break is on: smbreakd does not start" "the journal says why"
expect_rc 0 "and a purge" inside dpkg -P smbreak

finish
