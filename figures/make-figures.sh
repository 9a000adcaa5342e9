#!/bin/sh
# Regenerate the figures of the README gallery (and the papers' figures
# that sigprop draws) from the program in BUILD_DIR into OUT_DIR.
#
#   sh figures/make-figures.sh BUILD_DIR OUT_DIR [--pdf] [--sim]
#
# PNGs at 150 dpi; with --pdf also a vector PDF of each; with --sim also
# the recipes that simulate networks (minutes).  `ninja -C build figures`
# runs this with OUT_DIR = the source figures/, `ninja -C build
# figures-sim` adds --sim.  One line per figure: its name, whether the
# file changed, and the seconds it took.  A figure is drawn in a scratch
# folder (so that the command line in its metadata holds no absolute
# path) and replaces OUT_DIR's copy only when the bytes differ.  The
# recipes and what they show are listed in figures/README.md; keep the two
# in step.
# SPDX-License-Identifier: GPL-3.0-or-later
set -eu
if [ $# -lt 2 ] || [ $# -gt 4 ]; then
  echo "usage: $0 BUILD_DIR OUT_DIR [--pdf] [--sim]" >&2
  exit 2
fi
BUILD=$(cd "$1" 2>/dev/null && pwd) || BUILD=$1
OUT=$2
shift 2
PDF= SIM=
for a in "$@"; do
  case $a in
    --pdf) PDF=1 ;;
    --sim) SIM=1 ;;
    *) echo "$0: unknown argument $a (--pdf or --sim)" >&2; exit 2 ;;
  esac
done
if [ ! -x "$BUILD/sigprop" ]; then
  echo "$0: $BUILD/sigprop: not built (run ninja -C $BUILD first)" >&2
  exit 1
fi
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
DPI=150
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT INT TERM
PATH=$BUILD:$PATH
export PATH

# keep FILE: move scratch/FILE over OUT/FILE unless the bytes are equal.
keep() {
  if cmp -s "$scratch/$1" "$OUT/$1"; then
    rm -f "$scratch/$1"
    echo unchanged
  else
    mv -f "$scratch/$1" "$OUT/$1"
    echo written
  fi
}

# run NAME ARGS...: sigprop ARGS --dpi 150 -o NAME.png, timed, in the
# scratch folder (-o names only the figure: no table is written).
run() {
  name=$1
  shift
  t0=$(date +%s.%N)
  if ! (cd "$scratch" && sigprop "$@" --dpi "$DPI" -o "$name.png" >/dev/null); then
    echo "$name.png: FAILED" >&2
    exit 1
  fi
  [ -z "$PDF" ] || (cd "$scratch" && sigprop "$@" -o "$name.pdf" >/dev/null)
  t1=$(date +%s.%N)
  state=$(keep "$name.png")
  [ -z "$PDF" ] || keep "$name.pdf" >/dev/null
  awk -v n="$name.png" -v s="$state" -v a="$t0" -v b="$t1" \
    'BEGIN { printf "%-28s %-9s %5.1f s\n", n, s, b - a }'
}

# --- sigprop's own pictures ------------------------------------------------

# (beta, alpha_SA) trainability diagram at depth 60 (theory.md §10).
run diagram diagram --quiet
# (L, alpha_SA) diagram at beta = 0.5: the critical skip gain grows like
# sqrt(L) (theory.md §7).
run diagram-depth diagram --quiet --beta 0.5 --x depth:1:200:200 --y alpha-sa:0:10:101
# The MLP alone: chi_1 over (sigma_w^2, sigma_b^2) with the edge of chaos.
run mlp-phase mlp --activation tanh --x var-w:0.5:4:36 --y var-b:0:0.5:26
# Attention statistics against lambda: finite T and T -> infinity.
run attention-stats attention --lambda 0:4:81 --tokens 64,512,4096

# --- Giorlandino & Goldt ---------------------------------------------------

# Fig. 1, theory only: post-LN, beta = 0.5 and 3.
run fig1 propagate --compare beta=0.5,3 \
  --title "Post-LN, ReLU MLP, L = 50, ρ_0 = 0.025 (theory)"
# Fig. 4: four block variants at beta = 0.1; only rho carries information
# (E Y2 = 0 and H / log T = 1 to three digits for all four).
run fig4 propagate --panels rho --size 300,210 --beta 0.1 --var-v 1 --var-vb 0 --var-w 0.2 --var-b 4e-4 \
  --rho0 0.2 --depth 100 --activation relu \
  --variant "post-LN=--norm post" --variant "pre-LN=--norm pre" \
  --variant "centred post-LN=--norm post --attention centred" \
  --variant "centred pre-LN=--norm pre --attention centred" \
  --title "Four block variants, β = 0.1, ρ_0 = 0.2"
# Fig. 12: the causal decoder (finite-T statistics, row means over t).
run gg-fig12-causal propagate --causal --attention-stats finite --compare beta=0.5,3 \
  --title "Causal decoder, post-LN, T = 512, finite-T statistics"

# Fig. 3: the query/key gradient against beta, theory and simulated networks
# (small ones: about a second).
run gg-fig3-gradient validate --gradient --width 256 --tokens 128 --seeds 5 \
  --beta-range 0.05:3:16:log --quiet

# --- Noci et al. -------------------------------------------------------------

# Rank collapse of uniform attention, with and without 1/sqrt(L) scaling of
# the residual branches (L = 50: 1/sqrt(50) = 0.1414).
# Right: the ratio of the query/key gradient to the value gradient.
run noci-rank-collapse propagate --panels rho,qk_v_ratio --size 400,200 \
  --attention uniform --norm pre --depth 50 \
  --variant "branches × 1=--branch-sa 1 --branch-mlp 1" \
  --variant "branches × 1/√L=--branch-sa 0.1414 --branch-mlp 0.1414" \
  --title "Uniform attention, pre-LN, L = 50"

# --- Yu & Zhang --------------------------------------------------------------

# Similarity escalation across depth and its removal by (I - tau Pi_1).
run yz-mean-removal propagate --panels rho,entropy --size 400,200 \
  --compare mean-removal=0,0.5,0.9,1 \
  --title "Token-mean removal (I − τΠ_1) after attention, post-LN"

# --- with simulated networks (--sim) -----------------------------------------

if [ -n "$SIM" ]; then
  # GG Fig. 1 with simulation: d = 720, T = 512, L = 50, 10 networks, with
  # the three theories (T -> inf, finite T, finite T with the exact overlap).
  for b in 0.5 3; do
    run "fig1-sim-beta$b" validate --width 720 --tokens 512 --depth 50 --seeds 10 \
      --beta "$b" --also-theory finite --also-theory finite:exact --quiet
  done
fi
