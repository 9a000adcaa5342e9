#!/usr/bin/env bash
# Benchmark (meson test --benchmark): commands end to end, five runs each,
# every wall and processor time and their medians, with the load average:
# the default diagram (201 x 201 points, depth 60, compute + PNG + PDF) with
# one thread and the default thread count; the same with --attention-stats
# finite --row-overlap exact (table only), of encoder and of causal rows; a
# tanh diagram over (var-w, alpha-sa), 201 x 201 x 60; mlp --activation tanh
# over a 36 x 26 grid on one and on the default threads, and over 201 x 201;
# recommend --preset bert-base with its default (the exact row overlap) and
# with --row-overlap independent.  Never fails on time.
# SPDX-License-Identifier: GPL-3.0-or-later
set -u
SP=${SIGPROP:?SIGPROP must name the sigprop program}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
echo "1..11"
echo "# load average $(cut -d' ' -f1-3 /proc/loadavg)"
k=0
TIMEFORMAT='%R %U %S'

# bench LABEL ARGS...: five runs of sigprop ARGS, one TAP line.
bench() {
  local label=$1 walls=() cpus=() t w c
  shift
  for run in 1 2 3 4 5; do
    t=$( { time "$SP" "$@" >/dev/null 2>"$tmp/err"; } 2>&1 ) \
      || { k=$((k + 1)); echo "not ok $k - $label: run failed: $(head -n 1 "$tmp/err")"; return; }
    w=$(echo "$t" | tail -n 1 | cut -d' ' -f1)
    c=$(echo "$t" | tail -n 1 | awk '{ printf "%.2f", $2 + $3 }')
    walls+=("$w")
    cpus+=("$c")
  done
  local mw mc
  mw=$(printf '%s\n' "${walls[@]}" | sort -n | sed -n 3p)
  mc=$(printf '%s\n' "${cpus[@]}" | sort -n | sed -n 3p)
  k=$((k + 1))
  echo "ok $k - $label: median ${mw} s wall, ${mc} s cpu (wall ${walls[*]}; cpu ${cpus[*]})"
}

bench "default diagram (compute + PNG + PDF), threads 1" diagram --threads 1 -o diagram.png -o diagram.pdf
bench "default diagram (compute + PNG + PDF), default threads (target 0.5 s on 2 cores)" \
  diagram -o diagram.png -o diagram.pdf
bench "default diagram, finite T, row overlap 1/T, table" \
  diagram --attention-stats finite --quiet -o d.csv
bench "default diagram, finite T, row overlap exact, table (target 2 s on 2 cores)" \
  diagram --attention-stats finite --row-overlap exact --quiet -o d.csv
bench "default causal diagram, finite T, row overlap exact, causal table" \
  diagram --attention-stats finite --row-overlap exact --causal --quiet -o dc.csv
bench "tanh diagram over (var-w, alpha-sa) 201 x 201 x 60, table (target 2 s)" \
  diagram --activation tanh --x var-w:0.5:4:201 --y alpha-sa:0:5:201 --quiet -o t.csv
bench "mlp --activation tanh 36 x 26, threads 1" \
  mlp --activation tanh --x var-w:0.5:4:36 --y var-b:0:0.5:26 --threads 1 -o m.csv
bench "mlp --activation tanh 36 x 26, default threads" \
  mlp --activation tanh --x var-w:0.5:4:36 --y var-b:0:0.5:26 -o m.csv
bench "mlp --activation tanh 201 x 201, default threads" \
  mlp --activation tanh --x var-w:0.5:4:201 --y var-b:0:0.5:201 -o m.csv
bench "recommend --preset bert-base (exact row overlap, the default)" recommend --preset bert-base
bench "recommend --preset bert-base --row-overlap independent" \
  recommend --preset bert-base --row-overlap independent
