#!/bin/sh
# Run one libFuzzer target briefly: first over the kept corpus (regressions),
# then for a short time from it, writing new inputs to a scratch copy only.
set -eu
target=$1
corpus=$2
secs=${SMB_FUZZ_SECONDS:-15}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$corpus"
cp -r "$corpus/." "$scratch/" 2>/dev/null || true
exec "$target" -max_total_time="$secs" -rss_limit_mb=1024 -timeout=10 -print_final_stats=1 \
	"$scratch" "$corpus"
