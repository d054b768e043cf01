# Shared helpers of the nftables system tests (nft_*.sh): checks that count and
# say what failed, and queries of `nft -j list table inet smbreak`, the
# independent reader, with python3. Sourced; expects NFTDRV from ctest.

set -u
: "${NFTDRV:?set by ctest}"
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/assert.sh"

need_root_netns() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "skip: needs root for network namespaces" >&2
		exit 77
	fi
	command -v nft >/dev/null || { echo "skip: nft(8) not installed" >&2; exit 77; }
	command -v python3 >/dev/null || { echo "skip: python3 not installed" >&2; exit 77; }
	unshare -n true 2>/dev/null || { echo "skip: cannot create a network namespace" >&2; exit 77; }
}

# Re-runs the calling script once inside a new network namespace with lo up,
# so the table it makes never touches the host's.
enter_netns() {
	if [ -z "${SMB_IN_NETNS:-}" ]; then
		need_root_netns
		exec unshare -n env SMB_IN_NETNS=1 "$0" "$@"
	fi
	ip link set lo up
}

# q PYTHON-EXPRESSION: evaluated over the table as nft -j lists it, with
# chain(name), set_(name), rules(chain), elems(set) and exprs(rule) at hand.
q() {
	nft -j list table inet smbreak 2>/dev/null | python3 -c '
import json, sys
raw = sys.stdin.read()
objs = json.loads(raw)["nftables"] if raw.strip() else []
def pick(kind):
    return [o[kind] for o in objs if kind in o]
def chain(name):
    return ([c for c in pick("chain") if c["name"] == name] or [None])[0]
def set_(name):
    return ([s for s in pick("set") if s["name"] == name] or [None])[0]
def rules(name):
    return [r for r in pick("rule") if r["chain"] == name]
def elems(name):
    s = set_(name) or {}
    return s.get("elem", [])
def exprs(rule):
    return json.dumps(rule["expr"], sort_keys=True)
tables = pick("table")
print(('"$1"'))
'
}
