#!/bin/bash
# The whole test suite on a fresh Debian 12 machine, as root: installs the
# build and test dependencies, then builds and runs every ctest test twice,
# with gcc, and with clang under AddressSanitizer + UndefinedBehaviorSanitizer
# (where the libFuzzer targets are built and run briefly too).
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=(build-essential cmake pkg-config libevent-dev libnl-3-dev libnl-route-3-dev libinih-dev
      clang libclang-rt-14-dev nftables dnsutils dnsmasq-base curl iproute2 tzdata python3
      python3-dnspython unbound dnsdist
      util-linux procps debootstrap systemd-container dnsperf libfaketime lintian iperf3
      libsystemd-dev xvfb dunst dbus-daemon dbus-bin)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
	# DNS servers installed as test upstreams and bench peers run only inside
	# the tests' namespaces: not as the host's services.
	for s in unbound dnsdist; do
		if printf '%s\n' "${missing[@]}" | grep -qx "$s"; then
			systemctl disable --now "$s" 2>/dev/null || true
		fi
	done
fi

jobs=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure

cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
	-DSMB_SANITIZE=ON -DSMB_FUZZ=ON
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	ctest --test-dir build-asan --output-on-failure
