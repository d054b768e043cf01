#!/bin/bash
# Real traffic through the table: a client namespace (the table lives there)
# and a server namespace joined by a veth pair, IPv4 and IPv6. Connecting works
# outside a break, fails fast during one (TCP reset, ICMP admin-prohibited for
# UDP) and works again after it; a connection opened before the break whose
# server keeps sending dies within 1 s of the break starting; a break with an
# end stops matching at its end even with nobody removing the rules; the
# port-53 redirect sends DNS to the forwarder's address but not marked traffic.
. "$(dirname "$0")/nft_lib.sh"
need_root_netns
command -v ip >/dev/null || { echo "skip: ip(8) not installed" >&2; exit 77; }

C=smbnftc-$$
S=smbnfts-$$
T=$(mktemp -d /tmp/smbnft.XXXXXX)
cleanup() {
	# everything still running in our two namespaces was started by this test
	# (the server runs behind interpreter shims, so its own pid is not $!)
	local p
	for p in $(ip netns pids $S 2>/dev/null) $(ip netns pids $C 2>/dev/null); do
		kill "$p" 2>/dev/null
	done
	ip netns del $C 2>/dev/null
	ip netns del $S 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
ip netns add $C || { echo "skip: ip netns add failed" >&2; exit 77; }
ip netns add $S
ip link add vc-$$ netns $C type veth peer name vs-$$ netns $S
inc() { ip netns exec $C "$@"; }
ins() { ip netns exec $S "$@"; }
inc ip link set lo up
ins ip link set lo up
inc ip addr add 10.99.0.1/24 dev vc-$$
ins ip addr add 10.99.0.2/24 dev vs-$$
inc ip addr add fd99::1/64 dev vc-$$ nodad
ins ip addr add fd99::2/64 dev vs-$$ nodad
inc ip link set vc-$$ up
ins ip link set vs-$$ up

PEER="python3 $HERE/nft_peer.py"
PORT=8080
ins $PEER serve $PORT </dev/null >/dev/null 2>&1 &
for _ in $(seq 50); do
	inc $PEER tcp 10.99.0.2 $PORT | grep -q '^ok' && break
	sleep 0.1
done
D="inc $NFTDRV"

# probe WHAT PROTO HOST WANT [PORT]: the result must be WANT, fast when it is not ok
probe() {
	local out word ms
	out=$(inc $PEER "$2" "$3" "${5:-$PORT}")
	word=${out% *}
	ms=${out##* }
	if [ "$word" != "$4" ]; then
		fail "$1: $2 to $3 gave '$out', want '$4'"
	elif [ "$4" != ok ] && [ "$ms" -gt 500 ]; then
		fail "$1: $2 to $3 took $ms ms to fail"
	else
		ok
	fi
}

check "replace" $D replace
check "learn the server" $D "add 10.99.0.2,600 fd99::2,600"
for h in 10.99.0.2 fd99::2; do
	probe "outside a break" tcp $h ok
	probe "outside a break" udp $h ok
done

check "break on" $D "block on"
for h in 10.99.0.2 fd99::2; do
	probe "during a break" tcp $h refused
done
probe "during a break" udp 10.99.0.2 send:EPERM,icmp:EHOSTUNREACH
probe "during a break" udp fd99::2 send:EPERM,icmp:EACCES

check "break off" $D "block off"
for h in 10.99.0.2 fd99::2; do
	probe "after the break" tcp $h ok
	probe "after the break" udp $h ok
done

# --- a connection opened before the break dies when it starts ---
for h in 10.99.0.2 fd99::2; do
	f=$T/hold-$h
	inc $PEER hold $h $PORT "$f" &
	hp=$!
	for _ in $(seq 50); do
		[ -s "$f" ] && break
		sleep 0.05
	done
	sleep 0.2
	t0=$(date +%s%3N)
	check "break on ($h)" $D "block on"
	for _ in $(seq 30); do
		grep -q died "$f" && break
		sleep 0.1
	done
	read -r _ t1 why < <(grep died "$f")
	if [ -z "${t1:-}" ]; then
		fail "open connection to $h still alive 3 s into the break"
		kill $hp 2>/dev/null
	elif [ $((t1 - t0)) -gt 1000 ]; then
		fail "open connection to $h died $((t1 - t0)) ms into the break ($why)"
	else
		ok
	fi
	wait $hp 2>/dev/null
	check "break off" $D "block off"
done

# --- a break with an end: the rules stop matching at it by themselves ---
check "break until in 2 s" $D "block on until=2"
probe "before the end" tcp 10.99.0.2 refused
sleep 2.5
probe "after the end, rules still in" tcp 10.99.0.2 ok
check "break off" $D "block off"

# --- port 53 goes to the forwarder's address; marked traffic does not ---
check "replace with intercept" $D "replace intercept dns4=10.99.0.2 port=$PORT mark=0x5342"
inc ip route add 192.0.2.0/24 via 10.99.0.2
probe "udp/53 redirected" udp 192.0.2.53 ok 53
probe "tcp/53 redirected" tcp 192.0.2.53 ok 53
out=$(inc python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, 0x5342)
s.settimeout(0.5)
s.connect(("192.0.2.53", 53))
s.send(b"ping")
try:
    print(s.recv(10))
except socket.timeout:
    print("not redirected")
')
eq "marked traffic is not redirected" "$out" "not redirected"

finish
