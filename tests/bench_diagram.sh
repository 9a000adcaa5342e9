#!/usr/bin/env bash
# Benchmark (meson test --benchmark): the default diagram end to end --
# 201 x 201 points, depth 60, compute + PNG + PDF -- five runs each with one
# thread and with the default thread count; prints every time and the
# median.  Never fails on time.
# SPDX-License-Identifier: GPL-3.0-or-later
set -u
SP=${SIGPROP:?SIGPROP must name the sigprop program}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
echo "1..2"
k=0
for threads in 1 default; do
  times=()
  for run in 1 2 3 4 5; do
    args=()
    [ "$threads" != default ] && args=(--threads "$threads")
    t0=$(date +%s.%N)
    "$SP" diagram "${args[@]}" -o diagram.png -o diagram.pdf || { echo "not ok $((k + 1)) - run failed"; exit 1; }
    t1=$(date +%s.%N)
    times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')")
  done
  median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)
  k=$((k + 1))
  echo "ok $k - default diagram (compute + PNG + PDF), threads $threads: median ${median} s of 5 runs (${times[*]} s; target 0.5 s on 2 cores)"
done
