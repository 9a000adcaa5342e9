#!/bin/sh
# Command-line tests of the figures and the gradient and Jacobian
# comparisons of validate (and simulate --jacobian): the files they write,
# the table columns, and the error paths (one line on stderr, exit status 2
# for usage and 1 for failures, no output file left behind).  TAP output.
# SPDX-License-Identifier: GPL-3.0-or-later
. "$(dirname "$0")/tap.sh"

small="--width 32 --seeds 2 --tokens 16 --depth 3 --threads 2"
sweep="--beta-range 0.5:3:3:log"

o="$tmp/out.d"
TAP_OUTDIR=$o

# ---- errors ---------------------------------------------------------------
expect_error 2 "beta-range.*MIN:MAX:N" "--beta-range with two fields" \
  -- validate $small --gradient --beta-range 0.1:3
expect_error 2 "MIN must be below MAX" "--beta-range MIN above MAX" \
  -- validate $small --gradient --beta-range 3:0.1:4
expect_error 2 "log spacing needs MIN > 0" "--beta-range log from 0" \
  -- validate $small --gradient --beta-range 0:3:4:log
expect_error 2 "N must be between" "--beta-range with one value" \
  -- validate $small --gradient --beta-range 0.1:3:1
expect_error 2 "spacing 'cubic'" "--beta-range unknown spacing" \
  -- validate $small --gradient --beta-range 0.1:3:4:cubic
expect_error 2 "beta-range" "--beta-range not a number" \
  -- validate $small --gradient --beta-range a:3:4
expect_error 2 "MIN must be >= 0" "--beta-range negative" \
  -- validate $small --gradient --beta-range -1:3:4
expect_error 2 "uniform attention has no query" "--gradient with uniform attention" \
  -- validate $small --gradient --attention uniform
expect_error 2 "--beta-range needs --gradient" "--beta-range without --gradient" \
  -- validate $small $sweep
expect_error 2 "--block needs --gradient" "--block without --gradient" \
  -- validate $small --block 2
expect_error 2 "block: 1 is outside \\[2, 10000\\]" "--block 1" \
  -- validate $small --gradient --block 1
expect_error 2 "zero-fraction" "--zero-fraction outside (0, 1)" \
  -- validate $small --gradient --zero-fraction 1.5
expect_error 2 "does not combine" "--jacobian with --gradient" \
  -- validate $small --gradient --jacobian
expect_error 2 "unknown format" "-o with an unknown extension" \
  -- validate $small -o "$o/v.txt"
expect_error 2 "given twice" "the same -o path twice" \
  -- validate $small -o "$o/a.csv" -o "$o/a.csv"
expect_error 1 "cannot write" "unwritable figure" \
  -- validate $small -o "$tmp/no/such/dir/v.png"
expect_error 1 "cannot write" "unwritable gradient figure" \
  -- validate $small --gradient $sweep -o "$tmp/no/such/dir/g.pdf" -o "$o/g.csv"
expect_error 1 "cannot write" "unwritable table next to a figure" \
  -- validate $small -o "$o/v.png" -o "$tmp/no/such/dir/v.csv"
expect_error 1 "overflow" "a failing run leaves neither figure nor table" \
  -- validate $small --norm none --alpha-sa 100000 --alpha-mlp 100000 --depth 10 \
     -o "$o/v.png" -o "$o/v.csv"
expect_error 2 "takes no value" "simulate: --jacobian takes no value" \
  -- simulate $small --jacobian=1

# ---- figures --------------------------------------------------------------
magic() { head -c "$2" "$1" | od -An -c | tr -d ' \n'; }
"$SP" validate $small -o "$tmp/v.png" -o - >"$tmp/v.csv" 2>"$tmp/err"
ok $? "validate -o FILE.png -o - writes a figure and the table on stdout"
[ "$(magic "$tmp/v.png" 4)" = "211PNG" ] && grep -q '^layer,rho_sim' "$tmp/v.csv"
ok $? "the PNG starts with the PNG signature; the table went to stdout"
"$SP" validate $small -o "$tmp/v.png" >"$tmp/out" 2>"$tmp/err" && [ ! -s "$tmp/out" ]
ok $? "a figure-only run prints nothing on stdout"
"$SP" validate $small --jacobian -o "$tmp/v.pdf" --table "$tmp/vj.csv" 2>"$tmp/err"
ok $? "validate --jacobian -o FILE.pdf --table FILE.csv (the old spelling)"
[ "$(wc -l <"$tmp/err")" = 1 ] && grep -q '^sigprop: note: .*--table FILE is deprecated' "$tmp/err"
ok $? "--table gives a one-line deprecation note"
[ "$(magic "$tmp/v.pdf" 4)" = "%PDF" ]
ok $? "the PDF starts with %PDF"
"$SP" validate $small -o "$tmp/v.svg" -o "$tmp/v2.csv" 2>/dev/null &&
  grep -q '<svg' "$tmp/v.svg"
ok $? "validate -o FILE.svg writes SVG"
[ -z "$(ls -A "$tmp" | grep -v '^v\.png$\|^v\.csv$\|^v\.pdf$\|^vj\.csv$\|^v\.svg$\|^v2\.csv$\|^out$\|^err$\|^e$\|^stdout$\|^stderr$')" ]
ok $? "no temporary files left after successful runs"

# ---- tables ---------------------------------------------------------------
expect_columns "$tmp/vj.csv" \
  layer,rho_sim,rho_sim_se,rho_theory,rho_dev,rho_z,y2_sim,y2_sim_se,y2_theory,y2_dev,y2_z,chi_sim,chi_sim_se,chi_theory,chi_ratio,chi_ratio_se,chi_total_sim,chi_total_sim_se,chi_total_theory \
  "validate --jacobian columns"
grep -q '^# lambda_g: ' "$tmp/vj.csv" && grep -q '^# lambda_g-sim-total: ' "$tmp/vj.csv"
ok $? "validate --jacobian compares lambda_g"

"$SP" simulate $small --jacobian >"$tmp/sj.csv" 2>/dev/null
ok $? "simulate --jacobian runs"
grep -v '^#' "$tmp/sj.csv" | head -1 | grep -q ',overlap_se,grad_chi,grad_chi_se,grad_chi_total,grad_chi_total_se$'
ok $? "simulate --jacobian adds grad_chi and grad_chi_total with standard errors"
grep -v '^#' "$tmp/sj.csv" | sed -n 2p | grep -q '^0,.*,1,0$'
ok $? "end-to-end growth 1 at the input"
"$SP" simulate $small --jacobian --gradient >"$tmp/sjg.csv" 2>/dev/null &&
  grep -v '^#' "$tmp/sjg.csv" | head -1 | grep -q ',grad_wq,grad_wq_se,grad_chi,grad_chi_se,'
ok $? "simulate --gradient --jacobian: both groups"

"$SP" validate $small --gradient $sweep --block 2 -o "$tmp/g.png" -o "$tmp/g.csv" 2>/dev/null
ok $? "validate --gradient --block 2 writes a figure and a table"
[ "$(magic "$tmp/g.png" 4)" = "211PNG" ]
ok $? "the gradient figure is a PNG"
expect_columns "$tmp/g.csv" \
  block,beta,beta_c,y2_sim,y2_theory,g_sim,g_sim_se,g_theory,grad_sim,grad_sim_se,grad_theory,ratio,ratio_se,grad_theory_d,ratio_d,ratio_d_se,grad_plugin,plugin_ratio,plugin_ratio_se,extra_coef,extra_coef_se \
  "validate --gradient columns"
[ "$(grep -v '^#' "$tmp/g.csv" | grep -c '^1,')" = 3 ] && [ "$(grep -v '^#' "$tmp/g.csv" | grep -c '^2,')" = 3 ]
ok $? "one row per beta and block (3 values, blocks 1 and 2)"
grep -v '^#' "$tmp/g.csv" | awk -F, 'NR > 1 && $1 == 1 { b[++k] = $2 } END { exit !(k == 3 && b[1] == 0.5 && b[3] == 3 && (b[2] - 1.224744871391589) ^ 2 < 1e-20) }'
ok $? "log spacing: 0.5, sqrt(1.5), 3"
grep -q '^# beta-zero-sim: ' "$tmp/g.csv" && grep -q '^# beta_c: ' "$tmp/g.csv"
ok $? "the metadata name beta_c and the beta where the gradient switches on"
"$SP" validate $small --gradient --beta-range 0.5:3:3:lin 2>/dev/null |
  grep -v '^#' | awk -F, 'NR > 1 { b[++k] = $2 } END { exit !(k == 3 && b[2] == 1.75) }'
ok $? "linear spacing, table on stdout"

# --also-theory: further theories in the figure and the '#' lines
"$SP" validate $small --beta 3 --quiet \
  --also-theory finite --also-theory finite:exact -o "$tmp/also.png" -o "$tmp/also.csv"
ok $? "validate --also-theory finite --also-theory finite:exact"
grep -q '^# also-2: theory, finite T, exact overlap$' "$tmp/also.csv"
ok $? "second theory named"
grep -q '^# also-1-worst-rho: layer' "$tmp/also.csv"; ok $? "its worst layer reported"
expect_error 2 "also-theory.*not asymptotic or finite" "--also-theory with a bad name" \
  -- validate $small --also-theory exact -o "$o/a.png"
expect_error 2 "also-theory.*not independent or exact" "--also-theory with a bad overlap" \
  -- validate $small --also-theory finite:maybe -o "$o/a.png"
tap_done
