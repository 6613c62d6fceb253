#!/bin/sh
# bench-probe.sh - cost of vigil's probes per traced syscall, measured in
# the VM:  scripts/vm-run -- kmod/tools/bench-probe.sh [N]
# Runs N getppid calls (default 2000000) untraced, then traced with
# raw_syscalls:sys_enter+sys_exit recorded (normal mode, consumed), and
# prints ns per call for both and the difference (the cost of two
# records).  Under qemu TCG the absolute numbers are much higher than on
# hardware; compare runs with each other, not with other machines.
# A benchmark, not a test: nothing is asserted.
set -e
N=${1:-2000000}
K=$(dirname "$0")
WL=$K/bin/vigil-workload
ns() { date +%s%N; }
t0=$(ns); $WL "$N" 0 /x > /dev/null; t1=$(ns)
base=$(( (t1 - t0) / N ))
out=$(mktemp -d)
t0=$(ns)
$K/vigil-capture -o "$out/tr" --events raw_syscalls:sys_enter,raw_syscalls:sys_exit \
	--subbuf-size 1048576 --n-subbufs 16 -- $WL "$N" 0 /x > "$out/cap" 2>&1
t1=$(ns)
traced=$(( (t1 - t0) / N ))
grep '^total' "$out/cap"
echo "getppid untraced: $base ns/call"
echo "getppid traced:   $traced ns/call (includes capture start/stop and copying)"
echo "probe cost:       $((traced - base)) ns per syscall (2 records)"
rm -rf "$out"
