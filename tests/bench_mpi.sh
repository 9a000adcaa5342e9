#!/usr/bin/env bash
# Benchmark (meson test --benchmark mpi, when built with MPI): the speed-up
# of one MPI rank to two on a diagram sweep of about a minute on one rank
# (1001 x 1001 points, depth 4000, one thread per rank, PNG out), three
# rounds, one rank and two side by side; prints every time, the medians,
# their ratio and the load average before and after (the machine is
# shared: read the ratio against it).  Also checks that both wrote the
# same file.  Never fails on time.
# SPDX-License-Identifier: GPL-3.0-or-later
set -u
SP=${SIGPROP:?SIGPROP must name the sigprop program}
MPIRUN=${MPIRUN:?MPIRUN must name mpirun}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
flags=()
"$MPIRUN" --version 2>/dev/null | grep -q "Open MPI" && flags=(-q --oversubscribe --allow-run-as-root)
args=(diagram --depth 4000 --x beta:0:5:1001 --y alpha-sa:0:5:1001 --threads 1 --quiet -o d.png)
echo "1..2"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) processors)"
declare -A times cpus
for round in 1 2 3; do
  for n in 1 2; do
    mkdir -p "$tmp/$n"
    TIMEFORMAT='%R %U %S'
    { time { (cd "$tmp/$n" && "$MPIRUN" "${flags[@]}" -n "$n" "$SP" "${args[@]}") 2>"$tmp/err"; }; } \
      2>"$tmp/time" || { echo "not ok 1 - $n rank(s): the run failed: $(cat "$tmp/err")"; exit 1; }
    read -r t u s <"$tmp/time"
    cpu=$(awk -v a="$u" -v b="$s" 'BEGIN { printf "%.2f", a + b }')
    times[$n]="${times[$n]:-} $t"
    cpus[$n]="${cpus[$n]:-} $cpu"
    echo "# round $round, $n rank(s): $t s wall, $cpu s of processor time (load $(cut -d' ' -f1 /proc/loadavg))"
  done
done
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
m1=$(printf '%s\n' ${times[1]} | sort -n | sed -n 2p)
m2=$(printf '%s\n' ${times[2]} | sort -n | sed -n 2p)
ratio=$(awk -v a="$m1" -v b="$m2" 'BEGIN { printf "%.2f", a / b }')
c1=$(printf '%s\n' ${cpus[1]} | sort -n | sed -n 2p)
c2=$(printf '%s\n' ${cpus[2]} | sort -n | sed -n 2p)
echo "ok 1 - diagram 1001 x 1001, depth 4000, 1 thread per rank: 1 rank median $m1 s (${times[1]} ), 2 ranks median $m2 s (${times[2]} ): speed-up $ratio; processor time $c1 s and $c2 s (medians)"
echo "# On a loaded machine two ranks also get a larger share of the processors than one: the"
echo "# wall-clock ratio can exceed 2 there; the processor times show the cost of the split."
cmp -s "$tmp/1/d.png" "$tmp/2/d.png"
[ $? = 0 ] && echo "ok 2 - one rank and two wrote the same PNG" || echo "not ok 2 - the PNGs differ"
