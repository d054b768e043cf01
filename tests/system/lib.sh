# Shared helpers for the system tests: a scratch directory, starting and
# stopping smbreakd, reading smctl's JSON, and assertions that say what failed.
# Sourced by the test scripts; expects SMBREAKD and SMCTL from ctest.

set -u
. "$(dirname "${BASH_SOURCE[0]}")/assert.sh"
: "${SMBREAKD:?set by ctest}" "${SMCTL:?set by ctest}"

# The daemon owns an nftables table: it runs in a network namespace of the
# test's own, never in the host's.
if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null || ! command -v nft >/dev/null; then
	echo "skip: needs root, ip(8) and nft(8) to run smbreakd in a network namespace" >&2
	exit 77
fi
NS=smbt-$$
ip netns add "$NS" || { echo "skip: cannot create a network namespace" >&2; exit 77; }
ip -n "$NS" link set lo up

T=$(mktemp -d /tmp/smbtest.XXXXXX)
chmod 755 "$T" # unprivileged smctl runs must reach the socket
SOCK=$T/smbreak.sock
STATE=$T/var/lib/smbreak # parents made by the daemon, as on a fresh machine
CONF=$T/smbreak.conf
LOG=$T/daemon.log
DPID=

cleanup() {
	[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null
	if [ "$FAILS" -ne 0 ] || [ -n "${KEEP:-}" ]; then
		echo "--- daemon log ($LOG) ---"
		cat "$LOG" 2>/dev/null
	fi
	rm -rf "$T"
	ip netns delete "$NS" 2>/dev/null
}
trap cleanup EXIT

# nftj PYTHON-EXPRESSION: evaluated over `nft -j list table inet smbreak` in the
# daemon's namespace (bound to j: the list of objects, [] when there is no
# table), the independent reader of what the daemon installed.
nftj() {
	ip netns exec "$NS" nft -j list table inet smbreak 2>/dev/null | python3 -c '
import json, sys
raw = sys.stdin.read()
j = json.loads(raw)["nftables"] if raw.strip() else []
rules = lambda chain: [o["rule"] for o in j if "rule" in o and o["rule"]["chain"] == chain]
v = eval(sys.argv[1])
print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)
' "$1"
}

smctl() {
	"$SMCTL" -s "$SOCK" "$@"
}

# js EXPR [smctl args...]: evaluates a Python expression over the parsed JSON
# of `smctl --json ARGS` (bound to j) and prints the result.
js() {
	local expr=$1
	shift
	smctl --json "$@" | python3 -c '
import json, sys
j = json.load(sys.stdin)
v = eval(sys.argv[1], {"j": j})
print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)
' "$expr"
}

start_daemon() {
	ip netns exec "$NS" "$SMBREAKD" -f "$CONF" -s "$SOCK" --state-dir "$STATE" --data-dir "$SMB_SOURCE_DIR/conf" -d "$@" >>"$LOG" 2>&1 &
	DPID=$!
	for _ in $(seq 1 400); do # up to 20 s: a big list under ASan on a busy machine
		if "$SMCTL" -s "$SOCK" status >/dev/null 2>&1; then
			return 0
		fi
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.05
	done
	fail "daemon did not come up"
	cat "$LOG"
	exit 1
}

stop_daemon() {
	kill -TERM "$DPID"
	wait "$DPID"
	local rc=$?
	DPID=
	return $rc
}

kill9_daemon() {
	kill -9 "$DPID"
	wait "$DPID" 2>/dev/null
	DPID=
}

# wipe_strict: ends a strict break by hand for a test's next part, the way
# only root's deliberate removal does: the state file, and the table with
# its strict holds (smbreakd --cleanup --all), the daemon stopped.
wipe_strict() {
	rm -f "$STATE"/state*
	ip netns exec "$NS" "$SMBREAKD" --cleanup --all >/dev/null 2>&1 || true
}

# wait_log TEXT SECONDS: waits until the daemon log contains TEXT.
wait_log() {
	local i n=$(($2 * 20))
	for i in $(seq 1 "$n"); do
		grep -qF -- "$1" "$LOG" && return 0
		sleep 0.05
	done
	return 1
}

# set_words SET: the elements of the table's set SET, sorted, space-separated.
set_words() {
	nftj "' '.join(sorted(str(e['elem']['val'] if isinstance(e, dict) else e) for o in j if 'set' in o and o['set']['name'] == '$1' for e in o['set'].get('elem', [])))"
}

# wait_dns SERVER NAME ADDRESS: waits (20 s at most) until the upstream at
# SERVER, in the test's namespace, answers NAME with ADDRESS. Only the address
# counts: with +short dig prints a refused connection on stdout too.
wait_dns() {
	local i
	for i in $(seq 1 200); do
		ip netns exec "$NS" dig +time=1 +tries=1 +short "@$1" "$2" 2>/dev/null |
			grep -qxF -- "$3" && return 0
		sleep 0.1
	done
	echo "the upstream $1 never answered $2 with $3" >&2
	return 1
}

# HH:MM:SS of now + N seconds, in the test's TZ.
clock_in() {
	date -d "@$(($(date +%s) + $1))" +%H:%M:%S
}

# YYYY-MM-DD HH:MM:SS of now + N seconds (N may be negative): a dated
# break's from or until.
date_in() {
	date -d "@$(($(date +%s) + $1))" '+%Y-%m-%d %H:%M:%S'
}
