#!/usr/bin/env bash
# Command-line tests of finite-T statistics, --causal, the smooth
# activations, `sigprop mlp` and `sigprop critical --where chi1=V`: outputs
# and every error path (one line on stderr, exit 2 or 1, nothing on stdout).
# Prints TAP.  $SIGPROP is the program under test.
# SPDX-License-Identifier: GPL-3.0-or-later
. "$(dirname "$0")/tap.sh"

# close GOT WANT TOL: |GOT - WANT| <= TOL
close() { awk -v g="$1" -v w="$2" -v t="$3" 'BEGIN { d = g - w; if (d < 0) d = -d; exit !(g != "" && d <= t) }'; }

# col FILE ROW NAME: the cell of column NAME in data row ROW (1 = first)
col() {
  grep -v '^#' "$1" | awk -F, -v r="$2" -v name="$3" '
    NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i; next }
    NR == r + 1 { print $c }'
}

# --- finite-T statistics ---------------------------------------------------
# One block at q = 1, p = 0, lambda = beta = 1, T = 64: the row of
# tests/data/rem_finite_t.csv (y2 0.167279, entropy 2.60278).
"$SP" propagate --attention-stats finite --tokens 64 --beta 1 --rho0 0 --mlp none --depth 1 \
  >"$tmp/f.csv" 2>"$tmp/err"; ok $? "propagate --attention-stats finite"
y2=$(col "$tmp/f.csv" 2 y2); h=$(col "$tmp/f.csv" 2 entropy)
close "$y2" 0.167279 3e-4; ok $? "finite y2 at T=64, lambda=1: $y2 (reference 0.167279)"
close "$h" 2.60278 5e-3; ok $? "finite entropy: $h (reference 2.60278)"
ov=$(col "$tmp/f.csv" 2 frozen); [ "$ov" = 0 ]; ok $? "lambda = 1 < sqrt 2: not frozen"
! grep -qi nan "$tmp/f.csv"; ok $? "no NaN printed"
grep -q '^# attention-stats: finite$' "$tmp/f.csv"; ok $? "statistics recorded"

"$SP" propagate --attention-stats finite --tokens 64 --beta 1 --rho0 0 --mlp none --depth 1 --causal \
  >"$tmp/c.csv"; ok $? "propagate --attention-stats finite --causal"
yc=$(col "$tmp/c.csv" 2 y2)
awk -v a="$yc" -v b="$y2" 'BEGIN { exit !(a > b) }'; ok $? "causal row mean y2 $yc above the encoder's $y2"
grep -q '^# causal: yes$' "$tmp/c.csv"; ok $? "causal recorded"

# Under T -> infinity statistics the causal mask has no effect (documented).
"$SP" propagate --beta 2 --depth 4 | grep -v '^#' >"$tmp/a1"
"$SP" propagate --beta 2 --depth 4 --causal | grep -v '^#' >"$tmp/a2"
cmp -s "$tmp/a1" "$tmp/a2"; ok $? "asymptotic statistics: --causal gives the encoder law"

# Uniform attention under a causal mask: y2 = H_T / T; T = 4: 0.5208333
"$SP" propagate --attention uniform --causal --tokens 4 --depth 1 >"$tmp/u.csv"; ok $? "uniform --causal"
close "$(col "$tmp/u.csv" 2 y2)" 0.52083333333 1e-9; ok $? "uniform causal y2 = H_4 / 4"

# --- activations -------------------------------------------------------------
for run in "tanh post" "gelu pre" "silu none"; do
  set -- $run
  "$SP" propagate --activation "$1" --norm "$2" --depth 3 >"$tmp/x.csv" 2>"$tmp/err"
  st=$?; [ $st = 0 ] && ! grep -qi nan "$tmp/x.csv"; ok $? "propagate --activation $1 --norm $2"
done
"$SP" propagate --activation gelu --attention-stats finite --causal --depth 60 -o "$tmp/g.json"
ok $? "gelu, finite, causal, 60 blocks to JSON"

# --- mlp -------------------------------------------------------------------------
"$SP" mlp >"$tmp/m.csv"; ok $? "mlp with defaults"
grep -q '^q_star,chi1,c_star,xi_c,xi_q$' "$tmp/m.csv"; ok $? "mlp columns"
[ "$(grep -vc '^#' "$tmp/m.csv")" = 2 ]; ok $? "one data row"
close "$(col "$tmp/m.csv" 1 chi1)" 0.1 1e-15; ok $? "relu chi1 = var-w / 2"
"$SP" mlp --activation relu --var-w 3 --var-b 0.1 >"$tmp/m2.csv"; ok $? "mlp relu above sigma_w^2 = 2"
[ "$(grep -v '^#' "$tmp/m2.csv" | tail -n 1)" = ",1.5,,," ]; ok $? "undefined cells empty: $(tail -n 1 "$tmp/m2.csv")"
grep -q '^# q_star: none' "$tmp/m2.csv"; ok $? "a '#' line says there is no finite q*"
"$SP" mlp --activation tanh --var-w 2.5 --var-b 0.05 -o "$tmp/m.json"; ok $? "mlp -o JSON"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); r=d['rows'][0]; assert r[1] > 1 and 0 < r[2] < 1" "$tmp/m.json"
ok $? "chaotic tanh: chi1 > 1 and 0 < c* < 1"
"$SP" mlp --activation relu --var-w 2 --var-b 0 | tail -n 1 | grep -q '^,1,1,inf,inf$'; ok $? "relu at the edge: xi = inf"
"$SP" mlp --help | grep -q 'q_star,chi1'; ok $? "mlp --help"
"$SP" --help | grep -q '^  mlp'; ok $? "sigprop --help lists mlp"

# --- critical --where chi1 ----------------------------------------------------------
v=$("$SP" critical var-w --where chi1=1 --activation tanh --var-b 0.05 | tail -n 1)
close "$v" 1.760955 1e-6; ok $? "edge of chaos tanh sigma_b^2 = 0.05: $v (1.760955)"
v=$("$SP" critical var-b --where chi1=1 --activation tanh --var-w 1.760955 --range 0:1 | tail -n 1)
close "$v" 0.05 1e-6; ok $? "solved for var-b: $v (0.05)"
v=$("$SP" critical var-w --where chi1=1 --activation erf --var-b 0 | tail -n 1)
close "$v" 0.7853982 1e-6; ok $? "erf sigma_b = 0: $v (pi/4)"
v=$("$SP" critical alpha-sa --where rho-final=0.9 --attention-stats finite --activation tanh --depth 20 | tail -n 1)
[ -n "$v" ]; ok $? "critical rho-final with finite statistics and tanh: $v"

# --- errors ---------------------------------------------------------------------------
expect_error 2 "unknown option" mlp --beta 1
expect_error 2 "not one of" mlp --activation sigmoid
expect_error 2 "outside the domain" mlp --var-w -1
expect_error 2 ".csv, .tsv or .json" mlp -o "$tmp/x.txt"
expect_error 2 "unexpected argument" mlp extra
expect_error 1 "cannot write" mlp -o "$tmp/no/such/dir/m.csv"
expect_error 2 "name the variance" critical --where chi1=1
expect_error 2 "var-w or var-b" critical alpha-sa --where chi1=1
expect_error 2 "must be positive" critical var-w --where chi1=0
expect_error 2 "not a number" critical var-w --where chi1=abc
expect_error 2 "differ" critical var-w --where chi1=1 --var-w-in 1 --var-w-out 2
expect_error 2 "MIN must be below MAX" critical var-w --where chi1=1 --range 3:1
expect_error 2 "leaves the domain" critical var-w --where chi1=1 --range -1:3
expect_error 1 "jumps across" critical var-w --where chi1=1 --activation gelu --var-b 0.05
expect_error 1 "keeps one sign" critical var-w --where chi1=1 --activation tanh --var-b 0.05 --range 0:1
expect_error 2 "not rho-final=V, chi1=V or beta-c" critical var-w --where chi2=1

tap_done
