#!/bin/sh
# The causal decoder in the setting of Giorlandino & Goldt's Fig. 12, with
# simulated decoders: theory with and without the causal exact row overlap.
#
#   sh figures/decoder.sh BUILD_DIR OUT_DIR [SEEDS]
#
# decoder-beta0.5.{png,pdf,csv}  post-LN decoder, beta = 0.5
# decoder-beta3.{png,pdf,csv}    the same at beta = 3
#
# Setting (GG Fig. 12): post-LN, ReLU MLP of width d, one head, d = 720,
# T = 512, L = 50, var_v = var_w = 0.2, var_b = var_vb = 4e-4, skip gains 1,
# causal mask; SEEDS networks per beta (default 10; the paper used 3).  The
# main theory is finite-T statistics with the causal exact row overlap
# (--row-overlap exact, theory.md §14); the figure and the '#' lines of the
# table add finite-T statistics with independent rows (E O of uniform causal
# rows) and the T -> infinity laws.  The simulation's rho and E Y2 are means
# over all tokens and rows, as the theory's (GG plot the last 50 tokens).
# About 80 s of processor time (4.5 min on a loaded 2-core machine): the
# causal overlap is a quadrature per block (0.3 to 0.6 s at T = 512), the
# networks 2 s each.
# SPDX-License-Identifier: GPL-3.0-or-later
set -eu
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  echo "usage: $0 BUILD_DIR OUT_DIR [SEEDS]" >&2
  exit 2
fi
BUILD=$(cd "$1" && pwd)
SEEDS=${3:-10}
mkdir -p "$2"
cd "$2"
# sigprop from PATH, outputs by relative name: no absolute path in the metadata
PATH=$BUILD:$PATH
SP=sigprop
for b in 0.5 3; do
  "$SP" validate --causal --width 720 --tokens 512 --depth 50 --seeds "$SEEDS" --beta "$b" \
    --var-v 0.2 --var-w 0.2 --var-b 4e-4 --var-vb 4e-4 \
    --attention-stats finite --row-overlap exact \
    --also-theory finite --also-theory asymptotic \
    --title "Decoder (GG Fig. 12), β = $b, d = 720, T = 512" --quiet --dpi 150 \
    -o "decoder-beta$b.csv" -o "decoder-beta$b.png" -o "decoder-beta$b.pdf"
done
