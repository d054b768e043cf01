# Assertions shared by every system test: each check counts, each failure says
# what failed, and `finish` prints the tally and sets the exit status. Sourced.

FAILS=0
CHECKS=0

fail() {
	FAILS=$((FAILS + 1))
	echo "FAIL: $*" >&2
}

ok() {
	CHECKS=$((CHECKS + 1))
}

# check DESCRIPTION COMMAND...: the command must succeed.
check() {
	local what=$1
	shift
	if "$@"; then ok; else fail "$what"; fi
}

# eq DESCRIPTION GOT WANT
eq() {
	if [ "$2" = "$3" ]; then ok; else fail "$1: got '$2', want '$3'"; fi
}

# contains DESCRIPTION TEXT NEEDLE
contains() {
	case "$2" in
	*"$3"*) ok ;;
	*) fail "$1: '$3' not in: $2" ;;
	esac
}

# expect_rc WANT DESCRIPTION COMMAND...: the command's exit status must be WANT;
# its output (stdout and stderr) is left in $OUT.
expect_rc() {
	local want=$1 what=$2 rc=0
	shift 2
	OUT=$("$@" 2>&1) || rc=$?
	if [ "$rc" -eq "$want" ]; then
		ok
	else
		fail "$what: exit $rc, want $want; output: $OUT"
	fi
}

# expect_in TEXT DESCRIPTION: $OUT must contain TEXT.
expect_in() {
	contains "$2" "$OUT" "$1"
}

finish() {
	echo "$CHECKS checks, $FAILS failed"
	[ "$FAILS" -eq 0 ]
}
