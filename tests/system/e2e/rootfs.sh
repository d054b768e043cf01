#!/bin/bash
# Makes (once) the Debian 12 root filesystem that the systemd end-to-end test
# boots, and prints its path. It is cached between runs under
# /var/cache/smbreak-test (SMB_ROOTFS_CACHE overrides) and rebuilt when it is
# missing or was made from another package list; a lock keeps parallel runs
# from building it twice, and a build goes to a temporary directory renamed
# into place only when complete, so a killed build leaves nothing half-made.
set -euo pipefail

cache=${SMB_ROOTFS_CACHE:-/var/cache/smbreak-test}
root=$cache/bookworm
# Everything the test needs inside, since the container has no network: the
# .deb's runtime libraries, systemd, the tools the checks use, and dnsmasq as
# the upstream DNS server of the test names.
pkgs=systemd,systemd-sysv,dbus,libevent-2.1-7,libnl-3-200,libinih1,nftables,dnsutils,dnsmasq-base,iproute2,procps
stamp="bookworm minbase $pkgs"

# The Debian mirror this machine's apt uses (deb822 or one-line sources).
mirror() {
	local f u
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		u=$(awk '/^URIs:/ {print $2; exit}' "$f")
		case "$u" in *security*|"") ;; *) echo "$u"; return ;; esac
	done
	u=$(awk '$1 == "deb" && $3 == "bookworm" {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
	echo "${u:-http://deb.debian.org/debian}"
}

mkdir -p "$cache"
exec 9>"$cache/bookworm.lock"
flock 9
if [ -f "$root/.smbreak-rootfs" ] && [ "$(cat "$root/.smbreak-rootfs")" = "$stamp" ]; then
	echo "$root"
	exit 0
fi
tmp=$cache/bookworm.tmp
rm -rf "$tmp" "$root"
m=$(mirror)
echo "rootfs: debootstrap bookworm from $m into $tmp (takes a few minutes)" >&2
if ! debootstrap --variant=minbase --include="$pkgs" bookworm "$tmp" "$m" >"$cache/debootstrap.log" 2>&1; then
	tail -n 30 "$cache/debootstrap.log" >&2
	echo "rootfs: debootstrap failed; full log in $cache/debootstrap.log" >&2
	exit 1
fi
# A root without a password would make getty ask; the test never logs in.
# Keep apt's downloads out of the cache, and give the machine a name.
rm -rf "$tmp"/var/cache/apt/archives/*.deb "$tmp"/var/lib/apt/lists/*
echo smbreak-e2e >"$tmp/etc/hostname"
echo "$stamp" >"$tmp/.smbreak-rootfs"
mv "$tmp" "$root"
echo "$root"
