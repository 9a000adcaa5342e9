#!/usr/bin/env bash
# Command-line tests of `sigprop propagate` and `sigprop critical`: outputs,
# formats, and every error path (one line on stderr, exit 2 or 1, no file).
# Prints TAP.  $SIGPROP is the program under test.
# SPDX-License-Identifier: GPL-3.0-or-later
. "$(dirname "$0")/tap.sh"

# --- normal runs ---------------------------------------------------------
"$SP" propagate >"$tmp/a.csv" 2>"$tmp/err"; ok $? "propagate with defaults"
rows=$(grep -vc '^#' "$tmp/a.csv"); [ "$rows" = 52 ]; ok $? "51 layers plus header (got $rows lines)"
head -n 40 "$tmp/a.csv" | grep -q '^layer,q,p,rho,beta_c,.*y2,.*entropy,entropy_ratio' ; ok $? "column names"
grep -q '^# lambda_a: ' "$tmp/a.csv"; ok $? "lambda_a recorded"
grep -q '^# xi_a: ' "$tmp/a.csv"; ok $? "xi_a recorded"
grep -q '^# beta: 0.5$' "$tmp/a.csv"; ok $? "parameters recorded"
! grep -qi 'nan' "$tmp/a.csv"; ok $? "no NaN printed"
last=$(tail -n 1 "$tmp/a.csv" | cut -d, -f4); [ "$last" = "0.9983805458317434" ]; ok $? "rho_50 = $last (reference 0.9983805458317434)"
[ ! -s "$tmp/err" ]; ok $? "quiet on stderr"

"$SP" propagate --beta 3 --depth 5 -o "$tmp/b.tsv"; ok $? "TSV output"
head -n 40 "$tmp/b.tsv" | grep -q "^layer	q	p	rho" ; ok $? "TSV is tab-separated"
"$SP" propagate --eta 3 --depth 5 -o "$tmp/b.json"; ok $? "JSON output (eta alias)"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert len(d['rows'])==6 and d['meta']['beta']=='3'" "$tmp/b.json"; ok $? "JSON parses with 6 rows and beta 3"
"$SP" propagate --depth 3 --norm pre --attention centred -o "$tmp/c.csv"; ok $? "pre-LN centred"
"$SP" propagate --depth 3 --norm none --mlp none --activation erf --var-w-in 0.5 --var-w-out 0.7 --mean-removal 1 --beta-c-on stream --alpha-sa 2 --branch-mlp 0.5 --var-vb 0 --q0 2 --rho0 0.3 --tokens 64 >/dev/null; ok $? "every model option accepted"
"$SP" propagate --beta=2 --depth=2 >/dev/null; ok $? "--name=value form"
"$SP" propagate --help | grep -q -- '--alpha-sa'; ok $? "propagate --help lists model options"
"$SP" --help | grep -q propagate; ok $? "sigprop --help lists commands"
"$SP" --version | grep -q '^sigprop [0-9]'; ok $? "--version"

# --- critical --------------------------------------------------------------
v=$("$SP" critical alpha-sa --where rho-final=0.9 --mlp none --var-vb 0 --depth 60 --rho0 0.1 | tail -n 1)
want=$(python3 -c "import math; u0=0.9/0.1; um=0.1/0.9; print(math.sqrt(0.2/((u0/um)**(1/60)-1)))")
python3 -c "import sys; sys.exit(0 if abs($v-$want)<1e-9 else 1)"; ok $? "critical alpha-sa $v = closed form $want"
v=$("$SP" critical --where beta-c --rho0 0.5 | tail -n 1); [ "$v" = 2 ]; ok $? "critical beta-c at rho0 0.5 = $v"
v=$("$SP" critical depth --where rho-final=0.9 | tail -n 1); [ "$v" -gt 5 ] 2>/dev/null; ok $? "critical depth = $v"
"$SP" critical beta --where rho-final=0.9 >/dev/null; ok $? "critical beta"

# --- usage errors ------------------------------------------------------------
expect_error 2 "unknown command" frobnicate
expect_error 2 "unknown option" propagate --frobnicate 1
expect_error 2 "needs a value" propagate --beta
expect_error 2 "not a number" propagate --beta abc
expect_error 2 "not a number" propagate --beta 1x
expect_error 2 "not a finite number" propagate --beta nan
expect_error 2 "not a finite number" propagate --var-v inf
expect_error 2 "outside the domain" propagate --var-v -0.1
expect_error 2 "outside the domain" propagate --rho0 1.5
expect_error 2 "outside the domain" propagate --rho0 -2
expect_error 2 "below -1/(T-1)" propagate --rho0 -0.6 --tokens 3 --attention uniform
expect_error 2 "no T -> infinity limit" propagate --rho0 -0.001
expect_error 2 "outside the domain" propagate --depth 0
expect_error 2 "outside the domain" propagate --depth 1e12
expect_error 2 "whole number" propagate --depth 2.5
expect_error 2 "outside the domain" propagate --tokens 1
expect_error 2 "not one of" propagate --norm sideways
expect_error 2 "not one of" propagate --attention linear
expect_error 2 "not one of" propagate --activation sigmoid
expect_error 2 "not one of" propagate --mlp maybe
expect_error 2 "not one of" propagate --row-overlap sometimes
"$SP" propagate --attention-stats finite --row-overlap exact --beta 3 --depth 3 >"$tmp/ov.csv"; ok $? "propagate with the exact row overlap"
grep -q '^# row-overlap: exact$' "$tmp/ov.csv"; ok $? "row-overlap recorded"
expect_error 2 "takes no value" propagate --causal=1
expect_error 2 "unexpected argument" propagate extra
expect_error 2 ".csv, .tsv or .json" propagate -o "$tmp/x.txt"
expect_error 2 "required" critical alpha-sa
expect_error 2 "not rho-final" critical alpha-sa --where rho=0.9
expect_error 2 "must lie in" critical alpha-sa --where rho-final=2
expect_error 2 "not a model parameter" critical gamma --where rho-final=0.9
expect_error 2 "name the parameter" critical --where rho-final=0.9
expect_error 2 "MIN must be below MAX" critical alpha-sa --where rho-final=0.9 --range 5:1
expect_error 2 "not MIN:MAX" critical alpha-sa --where rho-final=0.9 --range 5
expect_error 2 "leaves the domain" critical alpha-sa --where rho-final=0.9 --range -1:5
expect_error 2 "integer parameter" critical tokens --where rho-final=0.9

# --- failures ----------------------------------------------------------------
expect_error 1 "no root in that range" critical alpha-sa --where rho-final=0.9 --range 0:0.5
expect_error 1 "already at" critical alpha-sa --where rho-final=0.9 --range 50:60
expect_error 1 "overflowed" propagate --norm none --alpha-sa 40 --depth 500
expect_error 1 "cannot write" propagate -o "$tmp/no/such/dir/a.csv"
mkdir "$tmp/ro" && chmod a-w "$tmp/ro"
if [ "$(id -u)" != 0 ]; then
  expect_error 1 "cannot write" propagate -o "$tmp/ro/a.csv"
fi
[ -z "$(ls -A "$tmp/ro")" ]; ok $? "no file left in a read-only folder"
"$SP" propagate --norm none --alpha-sa 40 --depth 500 -o "$tmp/partial.csv" 2>/dev/null
[ ! -e "$tmp/partial.csv" ] && [ -z "$(ls "$tmp" | grep tmp)" ]; ok $? "no partial output after a failure"

tap_done
