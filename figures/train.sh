#!/bin/sh
# Training recipes of sigprop train (issue: trainability shown by training).
#
#   sh figures/train.sh BUILD_DIR OUT_DIR
#
# train-copy.{csv,png}    a post-LN decoder (d = 64, 2 heads, depth 2) on copy,
#                         held-out loss against the best loss 0
# train-markov.{csv,png}  the same network on a 16-state Markov chain, against
#                         its exact entropy rate
# train-grid.{csv,png}    networks trained at 5 x 5 points of (beta, alpha_SA)
#                         at depth 12, two seeds each, on copy, against the
#                         diagram's classes; the agreement fraction is in the
#                         '# agreement' line
# Minutes on a 2-core machine (the grid dominates).
# SPDX-License-Identifier: GPL-3.0-or-later
set -eu
if [ $# != 2 ]; then
  echo "usage: $0 BUILD_DIR OUT_DIR" >&2
  exit 2
fi
BUILD=$(cd "$1" && pwd)
mkdir -p "$2"
cd "$2"
# sigprop from PATH, outputs by relative name: no absolute path in the metadata
PATH=$BUILD:$PATH
SP=sigprop
net="--causal --width 64 --heads 2 --depth 2 --batch 32 --lr 3e-3 --eval-every 100 --eval-batches 8 --log-every 10 --seed 3 --quiet --dpi 150"
"$SP" train --task copy --vocab 16 --tokens 32 --steps 1500 $net -o "train-copy.csv" -o "train-copy.png"
"$SP" train --task markov --vocab 16 --gamma 0.5 --tokens 64 --steps 1500 $net -o "train-markov.csv" -o "train-markov.png"
"$SP" train --task copy --causal --vocab 8 --tokens 16 --width 32 --heads 2 --depth 12 --batch 16 \
  --steps 300 --lr 3e-3 --warmup 30 --eval-batches 4 --seed 1 --quiet --dpi 150 \
  --grid-x beta:0.25:3.25:5 --grid-y alpha-sa:0.05:1.25:5 --grid-seeds 2 \
  -o "train-grid.csv" -o "train-grid.png"
