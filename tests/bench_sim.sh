#!/bin/sh
# Benchmark of 'sigprop simulate': the paper's configuration (post-LN,
# d = 720, T = 512, L = 50, ReLU, sigma_v^2 = sigma_w^2 = 0.2, sigma_b^2 =
# sigma_vb^2 = 4e-4, beta = 0.5), one network, forward pass and per-layer
# statistics, no gradient.  Prints seconds and GFLOP/s (matrix products of the
# forward pass), and, when Debian's python3-numpy is installed, the time of
# the same matrix products done by numpy's BLAS in the same run and the ratio.
# Never fails on time.
# SPDX-License-Identifier: GPL-3.0-or-later
SIGPROP=${SIGPROP:-sigprop}
here=$(dirname "$0")
out=$(mktemp "${TMPDIR:-/tmp}/sigprop-bench.XXXXXX") || exit 0
trap 'rm -f "$out"' EXIT
set -- simulate --width 720 --tokens 512 --depth 50 --seeds 1 --norm post --activation relu \
  --var-v 0.2 --var-w 0.2 --var-b 4e-4 --var-vb 4e-4 --beta 0.5 --quiet
echo "sigprop $*"
# Three runs (the machine may be shared): each one's time, then the best.
sim=""
for run in 1 2 3; do
  "$SIGPROP" "$@" >"$out" || { echo "simulate failed"; exit 0; }
  t=$(sed -n 's/^# seconds: \([0-9.]*\).*/\1/p' "$out")
  echo "run $run: $t s, $(sed -n 's/^# gflops: //p' "$out")"
  if [ -z "$sim" ] || [ "$(awk -v a="$t" -v b="$sim" 'BEGIN { print (a < b) }')" = 1 ]; then
    sim=$t
  fi
done
grep '^# \(kernel\|threads\):' "$out"
flop=$(sed -n 's/^# gflops: .*(\([0-9.]*\) GFLOP.*/\1/p' "$out")
echo "best: $sim s, $(awk -v f="$flop" -v t="$sim" 'BEGIN { printf "%.1f", f / t }') GFLOP/s"
py=""
for p in /usr/bin/python3 python3; do
  if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import numpy' 2>/dev/null; then
    py=$p
    break
  fi
done
if [ -z "$py" ]; then
  echo "no python3 with numpy: GEMM reference skipped"
  exit 0
fi
ref=$("$py" "$here/bench_gemm.py" 720 512 50)
echo "$ref" | sed 's/^/numpy BLAS, same matrix products: /'
gemm=$(echo "$ref" | sed -n 's/^gemm_seconds //p')
if [ -n "$gemm" ] && [ -n "$sim" ]; then
  echo "ratio simulate / BLAS products: $(awk -v a="$sim" -v b="$gemm" 'BEGIN { printf "%.2f", a / b }')"
fi
exit 0
