#!/bin/bash
# Failures, each reported with what it was about and the kernel's reason: a set
# element the kernel refuses, elements pinpointed by the extended
# acknowledgement, a netlink socket without CAP_NET_ADMIN and a batch larger
# than its send buffer can be made, and a table deleted by hand while the
# daemon runs (the next change recreates it and logs it).
. "$(dirname "$0")/nft_lib.sh"
enter_netns "$@"
D=$NFTDRV

# --- an element the kernel refuses: its set was removed by hand ---
check "replace" $D "replace block"
nft flush chain inet smbreak block && nft delete set inet smbreak learned4_social
rc=0
OUT=$($D "add 203.0.113.7" 2>&1) || rc=$?
eq "refused element fails" "$rc" 1
contains "says which element, which set and why" "$OUT" \
	"nft: add set element 203.0.113.7 to learned4_social failed: No such file or directory"
eq "nothing half-done: learned6_social untouched" "$(q 'len(elems("learned6_social"))')" 0

# --- the kernel's offset picks the one element out of many; nothing commits ---
check "replace" $D replace
check "add" $D "add 192.0.2.1 192.0.2.3"
rc=0
OUT=$($D "del 192.0.2.1 192.0.2.2 192.0.2.3" 2>&1) || rc=$?
eq "delete of a missing element fails" "$rc" 1
contains "the missing one is named" "$OUT" \
	"nft: delete set element 192.0.2.2 from learned4_social failed: No such file or directory"
eq "one transaction: the others are still there" "$(q 'sorted(e["elem"]["val"] for e in elems("learned4_social"))')" \
	"['192.0.2.1', '192.0.2.3']"

# --- socket errors: no CAP_NET_ADMIN ---
NOCAP="setpriv --inh-caps=-net_admin --ambient-caps=-net_admin --bounding-set=-net_admin"
rc=0
OUT=$($NOCAP $D "add 192.0.2.9" 2>&1) || rc=$?
eq "without CAP_NET_ADMIN" "$rc" 1
contains "the kernel refuses the batch" "$OUT" "nft: commit batch failed: Operation not permitted"
# the send buffer cannot be forced above net.core.wmem_max without the capability
big=$(( $(cat /proc/sys/net/core/wmem_max) / 10 + 100000 ))
rc=0
OUT=$($NOCAP $D "gen $big" 2>&1) || rc=$?
eq "a batch larger than the send buffer" "$rc" 1
contains "sendmsg fails and says so" "$OUT" "failed: Message too long"
contains "with the batch size" "$OUT" "nft: send batch of "

# --- the table deleted by hand while the daemon runs ---
OUT=$($D - 2>&1 <<<"replace block
add 198.51.100.7,600
sh nft delete table inet smbreak
add 198.51.100.8,600
counts
sh nft delete table inet smbreak
block off
counts")
contains "the recreation is logged" "$OUT" "nft: table inet smbreak was deleted while smbreakd runs; recreating it"
contains "recreated with the break's rules and the new element" "$OUT" \
	"learned4=1 learned6=0 ranges4=0 ranges6=0 block_rules=7 intercept_rules=0"
contains "a second deletion too, with the break now off" "$OUT" \
	"learned4=0 learned6=0 ranges4=0 ranges6=0 block_rules=0 intercept_rules=0"
eq "one table" "$(nft list tables)" "table inet smbreak"

finish
