#!/bin/sh
# Regenerate every figure of the README gallery (and the paper's figures
# that sigprop can draw) from the program in BUILD_DIR into OUT_DIR.
#
#   sh figures/make-figures.sh BUILD_DIR OUT_DIR [--pdf]
#
# PNGs at 150 dpi for the README; with --pdf also a vector PDF of each.
# `ninja -C build figures` runs this with OUT_DIR = the source figures/.
# Each command is printed before it runs.  The recipes are listed in
# figures/README.md; keep the two in step.
# SPDX-License-Identifier: GPL-3.0-or-later
set -eu
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  echo "usage: $0 BUILD_DIR OUT_DIR [--pdf]" >&2
  exit 2
fi
SP=$1/sigprop
OUT=$2
PDF=${3:-}
if [ ! -x "$SP" ]; then
  echo "$0: $SP: not built (run ninja -C $1 first)" >&2
  exit 1
fi
if [ -n "$PDF" ] && [ "$PDF" != --pdf ]; then
  echo "$0: third argument must be --pdf" >&2
  exit 2
fi
mkdir -p "$OUT"
DPI=150

# run NAME ARGS...: sigprop ARGS -o OUT/NAME.png (and .pdf with --pdf)
run() {
  name=$1
  shift
  echo "sigprop $* -o $name.png"
  if [ -n "$PDF" ]; then
    "$SP" "$@" --dpi "$DPI" -o "$OUT/$name.png" -o "$OUT/$name.pdf"
  else
    "$SP" "$@" --dpi "$DPI" -o "$OUT/$name.png"
  fi
}

# propagate draws its figure with -o, one file per run.
run_plot() {
  name=$1
  shift
  echo "sigprop $* -o $name.png"
  "$SP" "$@" --dpi "$DPI" -o "$OUT/$name.png"
  [ -z "$PDF" ] || "$SP" "$@" -o "$OUT/$name.pdf"
}

# 1. The (beta, alpha_SA) trainability diagram at depth 60 (theory.md §10).
run diagram diagram

# 2. The (L, alpha_SA) diagram at beta = 0.5: the critical skip gain grows
#    like sqrt(L) (theory.md §7).
run diagram-depth diagram --beta 0.5 --x depth:1:200:200 --y alpha-sa:0:10:101

# 3. The paper's Fig. 1: theory and simulation, beta = 0.5 and 3, post-LN,
#    d = 720, T = 512, L = 50, 10 seeds, with the three theories: T -> inf,
#    finite T with independent rows, finite T with the exact row overlap.
#    Needs 'validate -o FILE.png'; a program without it refuses the probe and
#    the step is skipped.
probe=$(mktemp -d)
if "$SP" validate --width 16 --tokens 8 --depth 2 --seeds 1 -o "$probe/p.png" \
     >/dev/null 2>"$probe/err"; then
  for b in 0.5 3; do
    run "fig1-sim-beta$b" validate --width 720 --tokens 512 --depth 50 --seeds 10 --beta "$b" \
      --also-theory finite --also-theory finite:exact --quiet
  done
else
  echo "skipping the simulated Fig. 1: $(cat "$probe/err")"
fi
rm -rf "$probe"
#    Theory-only stand-in: the same configuration, both beta on one figure.
run_plot fig1 propagate --compare beta=0.5,3 \
  --title "Post-LN, ReLU MLP, L = 50, ρ_0 = 0.025 (theory)"

# 4. The paper's Fig. 4: four block variants at beta = 0.1.
run_plot fig4 propagate --beta 0.1 --var-v 1 --var-vb 0 --var-w 0.2 --var-b 4e-4 \
  --rho0 0.2 --depth 100 --activation relu \
  --variant "post-LN=--norm post" --variant "pre-LN=--norm pre" \
  --variant "centred post-LN=--norm post --attention centred" \
  --variant "centred pre-LN=--norm pre --attention centred" \
  --title "Four block variants, β = 0.1, L = 100, ρ_0 = 0.2"

# 5. The MLP alone: chi_1 over (sigma_w^2, sigma_b^2) with the edge of chaos.
run mlp-phase mlp --activation tanh --x var-w:0.5:4:36 --y var-b:0:0.5:26

# 6. Attention statistics against lambda: finite T and T -> infinity.
run attention-stats attention --lambda 0:4:81 --tokens 64,512,4096

echo "figures written to $OUT"
