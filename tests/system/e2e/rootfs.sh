#!/bin/bash
# Makes (once) the Debian 12 root filesystem that the systemd end-to-end test
# boots, and prints its path. It is cached between runs under
# /var/cache/smbreak-test (SMB_ROOTFS_CACHE overrides) and rebuilt when it is
# missing or was made from another package list; a lock keeps parallel runs
# from building it twice, and a build goes to a temporary directory renamed
# into place only when complete, so a killed build leaves nothing half-made.
set -euo pipefail

cache=${SMB_ROOTFS_CACHE:-/var/cache/smbreak-test}
suite=bookworm
root=$cache/$suite
# Everything the test needs inside, since the container has no network: the
# .deb's runtime libraries, systemd, the tools the checks use, and dnsmasq as
# the upstream DNS server of the test names.
pkgs=systemd,systemd-sysv,dbus,libevent-2.1-7,libnl-3-200,libnl-route-3-200,libinih1,nftables,dnsutils,dnsmasq-base,iproute2,procps
stamp="$suite minbase $pkgs"

# The archive this machine's own apt fetches $suite from, so that the test
# names no host and works behind whatever mirror or proxy apt is set up for:
# the first URI of a deb822 stanza (sources.list.d/*.sources) whose Types
# include deb and whose Suites include $suite, else the URI of a one-line
# `deb [options] URI $suite ...` entry (sources.list, sources.list.d/*.list).
mirror() {
	local f u files=()
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		u=$(awk -v suite="$suite" '
			function stanza_end() {
				if (deb && has_suite && enabled && uri != "") {
					print uri
					found = 1
					exit
				}
				deb = has_suite = 0
				enabled = 1
				uri = ""
			}
			BEGIN { enabled = 1 }
			/^[ \t]*#/ { next }
			/^[ \t]*$/ { stanza_end(); next }
			{
				key = tolower($1)
				if (key == "types:")
					for (i = 2; i <= NF; i++) deb = deb || $i == "deb"
				else if (key == "suites:")
					for (i = 2; i <= NF; i++) has_suite = has_suite || $i == suite
				else if (key == "uris:" && NF >= 2)
					uri = $2
				else if (key == "enabled:")
					enabled = tolower($2) != "no"
			}
			END { if (!found) stanza_end() }' "$f")
		[ -n "$u" ] && { echo "$u"; return 0; }
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] && files+=("$f")
	done
	if [ ${#files[@]} -gt 0 ]; then
		u=$(awk -v suite="$suite" '
			$1 == "deb" {
				i = 2
				if ($i ~ /^\[/) {
					while (i <= NF && $i !~ /\]$/) i++
					i++
				}
				if ($(i + 1) == suite) { print $i; exit }
			}' "${files[@]}")
		[ -n "$u" ] && { echo "$u"; return 0; }
	fi
	echo "rootfs: found no apt source for Debian $suite to debootstrap from: looked for" \
		"a stanza with 'Types: deb', 'Suites: $suite' and 'URIs:' in" \
		"/etc/apt/sources.list.d/*.sources, and for a 'deb URI $suite ...' line in" \
		"/etc/apt/sources.list and /etc/apt/sources.list.d/*.list" >&2
	return 1
}

mkdir -p "$cache"
exec 9>"$cache/$suite.lock"
flock 9
if [ -f "$root/.smbreak-rootfs" ] && [ "$(cat "$root/.smbreak-rootfs")" = "$stamp" ]; then
	echo "$root"
	exit 0
fi
m=$(mirror)
tmp=$cache/$suite.tmp
rm -rf "$tmp" "$root"
echo "rootfs: debootstrap $suite from $m into $tmp (takes a few minutes)" >&2
if ! debootstrap --variant=minbase --include="$pkgs" "$suite" "$tmp" "$m" >"$cache/debootstrap.log" 2>&1; then
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
