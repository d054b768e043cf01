#!/bin/bash
# Runs bench_nft as root in a network namespace of its own (the table and the
# nft -f peer both live there and vanish with it). Arguments go to bench_nft.
set -u
BIN=${1:?usage: run.sh PATH/TO/bench_nft [--quick] [--check]}
shift
if [ "$(id -u)" -ne 0 ] || ! command -v nft >/dev/null || ! unshare -n true 2>/dev/null; then
	echo "skip: needs root, nft(8) and network namespaces" >&2
	exit 77
fi
exec unshare -n "$BIN" "$@"
