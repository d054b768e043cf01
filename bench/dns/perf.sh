#!/bin/bash
# What the DNS benchmarks read of the machine while dnsperf runs (sourced by
# bench/dns/run.sh and bench/gateway/dns_lan.sh): a daemon's CPU time and
# the busy share of CPUs 0 and 1.

# ticks PID: the process's user + system time, in clock ticks of HZ.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# shellcheck disable=SC2034 # read by the scripts that source this
HZ=$(getconf CLK_TCK)
# cpustat: busy and idle jiffies of CPU 0 and 1; busy A B: their busy share
# between two snapshots (other load on the machine shows here).
cpustat() { awk '/^cpu[01] /{printf "%d %d ", $2 + $3 + $4 + $7 + $8, $5 + $6}' /proc/stat; }
busy() {
	awk -v a="$1" -v b="$2" 'BEGIN{split(a, x, " "); split(b, y, " ");
		for (i = 1; i <= 3; i += 2) { d = y[i] - x[i]; t = d + y[i+1] - x[i+1];
			printf "cpu%d %.0f%% ", (i - 1) / 2, t ? 100 * d / t : 0 } }'
}
