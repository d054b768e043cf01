# Shared by watch.sh and notify.sh: a break a few seconds ahead, warned of
# 3 s before, on the real clock (never stepped), and a poll for what the
# watcher saw. Sourced after lib.sh.

# soon_conf FROM TO: the config of break `soon` on list social from now +
# FROM to now + TO seconds; it cannot cross midnight.
soon_conf() {
	if [ $(($(date +%s) % 86400)) -gt $((86399 - $2 - 10)) ]; then sleep $(($2 + 12)); fi
	cat >"$CONF" <<CONF
[daemon]
warn = 3s
upstream = 127.0.0.1:1
[list social]
domains = instagram.com
[break soon]
times = $(clock_in "$1")-$(clock_in "$2")
lists = social
CONF
}

# wait_true READER EXPR SECONDS: until `READER EXPR` prints true.
wait_true() {
	local i
	for i in $(seq 1 $(($3 * 5))); do
		[ "$("$1" "$2" 2>/dev/null)" = true ] && return 0
		sleep 0.2
	done
	return 1
}
