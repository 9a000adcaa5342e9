#!/usr/bin/env bash
# Command-line tests of `sigprop diagram` and `sigprop propagate -o FIGURE`:
# outputs, formats, agreement of the alpha_c curve with `sigprop critical`,
# and every error path (one line on stderr, exit 2 or 1, no file left).
# Prints TAP.  $SIGPROP is the program under test.
# SPDX-License-Identifier: GPL-3.0-or-later
. "$(dirname "$0")/tap.sh"
have_python=0; command -v python3 >/dev/null 2>&1 && have_python=1

png_width() { od -An -tu1 -j16 -N4 "$1" | awk '{print $1*16777216 + $2*65536 + $3*256 + $4}'; }

small="--x beta:0:5:11 --y alpha-sa:0:5:11"

# --- the default run ------------------------------------------------------
mkdir "$tmp/d"
(cd "$tmp/d" && "$SP" diagram >"$tmp/out" 2>"$tmp/err"); ok $? "diagram with no options"
[ -s "$tmp/d/diagram.png" ] && [ -s "$tmp/d/diagram.pdf" ]; ok $? "writes diagram.png and diagram.pdf"
[ "$(ls -A "$tmp/d" | wc -l)" = 2 ]; ok $? "and nothing else"
w=$(png_width "$tmp/d/diagram.png"); [ "$w" -ge 1000 ]; ok $? "default PNG is $w >= 1000 pixels wide"
head -c 5 "$tmp/d/diagram.pdf" | grep -q '%PDF-'; ok $? "PDF magic"
[ ! -s "$tmp/out" ] && [ ! -s "$tmp/err" ]; ok $? "silent when stderr is not a terminal"

# --- tables ------------------------------------------------------------------
"$SP" diagram $small -o "$tmp/g.csv"; ok $? "11 x 11 grid to CSV"
rows=$(grep -vc '^#' "$tmp/g.csv"); [ "$rows" = 122 ]; ok $? "121 points plus header (got $rows lines)"
grep -v '^#' "$tmp/g.csv" | head -n 1 | grep -q '^x,y,rho_final,y2_first,.*frozen_layers,lambda_a,grad_wq,class$'
ok $? "columns x,y,rho_final,y2_first,...,frozen_layers,lambda_a,grad_wq,class"
bad=$(grep -v '^#' "$tmp/g.csv" | tail -n +2 | awk -F, '$NF!="trainable" && $NF!="rank-collapse" && $NF!="entropy-collapse"' | wc -l)
[ "$bad" = 0 ]; ok $? "every class is trainable, rank-collapse or entropy-collapse"
grep -q '^# rho-max: 0.9 ' "$tmp/g.csv" && grep -q '^# y2-max: none' "$tmp/g.csv" \
  && grep -q '^# x: beta from 0 to 5, 11 points' "$tmp/g.csv" && grep -q '^# depth: 60$' "$tmp/g.csv"
ok $? "thresholds, axes and depth 60 in the metadata"
! grep -qi 'nan' "$tmp/g.csv"; ok $? "no NaN printed"
"$SP" diagram $small --threads 1 -o "$tmp/t1.csv" && "$SP" diagram $small --threads 3 -o "$tmp/t3.csv"
cmp -s <(grep -v '^# command:' "$tmp/t1.csv") <(grep -v '^# command:' "$tmp/t3.csv"); ok $? "1 and 3 threads give the same table"
"$SP" diagram $small --rho-max 0.5 --y2-max 0.3 -o "$tmp/y.csv"; ok $? "--rho-max and --y2-max"
grep -q '^# y2-max: 0.3 ' "$tmp/y.csv" && grep -q '^# rho-max: 0.5 ' "$tmp/y.csv"; ok $? "recorded"

# --- several outputs ------------------------------------------------------------
"$SP" diagram $small --mark 0.5,1 --colormap cividis --title 'test σ_v^2' --size 300,260 --dpi 100 \
  -o "$tmp/m.png" -o "$tmp/m.svg" -o "$tmp/m.pdf" -o "$tmp/m.json" -o "$tmp/m.tsv"
ok $? "png, svg, pdf, json and tsv in one run"
[ "$(png_width "$tmp/m.png")" = 417 ]; ok $? "--size 300,260 at --dpi 100 is 417 pixels wide"
head -c 5 "$tmp/m.svg" | grep -q '<?xml' && grep -q '</svg>' "$tmp/m.svg"; ok $? "SVG"
grep -q 'diagram --x beta' "$tmp/m.svg"; ok $? "SVG metadata carries the command line"
if [ "$have_python" = 1 ]; then
  python3 -c "
import json, sys, xml.dom.minidom as m
d = json.load(open(sys.argv[1]))
assert len(d['rows']) == 121 and d['columns'][-1] == 'class'
assert m.parse(sys.argv[2]).documentElement.tagName == 'svg'" "$tmp/m.json" "$tmp/m.svg"
  ok $? "JSON parses with 121 rows; SVG is well-formed XML"
else
  skip "python3 not available"
fi
"$SP" diagram --x var-w:0.1:10:9:log --y depth:1:100:10 --activation erf -o "$tmp/l.png" -o "$tmp/l.csv"
ok $? "log axis and an integer axis"
nonint=$(grep -v '^#' "$tmp/l.csv" | tail -n +2 | cut -d, -f2 | grep -cv '^[0-9][0-9]*$')
[ "$nonint" = 0 ]; ok $? "depth values are whole numbers"

# --- alpha_c agrees with sigprop critical -------------------------------------------
"$SP" diagram --x beta:0:4.5:4 --y alpha-sa:0:5:21 --curves "$tmp/c.csv" -o "$tmp/c.png"
ok $? "--curves table"
grep -q '^curve,piece,x,y$' "$tmp/c.csv"; ok $? "curve columns"
pts=$(grep '^alpha_c,' "$tmp/c.csv" | cut -d, -f3,4)
[ "$(echo "$pts" | wc -l)" = 4 ]; ok $? "alpha_c at every beta column (0, 1.5, 3, 4.5)"
worst=0
for p in $pts; do
  b=${p%,*} a=${p#*,}
  c=$("$SP" critical alpha-sa --where rho-final=0.9 --depth 60 --beta "$b" --range 0:5 | tail -n 1)
  worst=$(awk -v a="$a" -v c="$c" -v w="$worst" 'BEGIN { d = a - c; if (d < 0) d = -d; print (d > w ? d : w) }')
done
awk -v w="$worst" 'BEGIN { exit !(w < 1e-6) }'; ok $? "alpha_c(beta) matches sigprop critical to 1e-6 (max diff $worst)"

# --- gradient overlays -------------------------------------------------------------
"$SP" diagram $small --overlay-gradient 0.01 -o "$tmp/gr.csv" -o "$tmp/gr.png" --curves "$tmp/gc.csv"
ok $? "--overlay-gradient 0.01"
grep -q '^# overlay-gradient: 0.01 ' "$tmp/gr.csv"; ok $? "fraction recorded in the metadata"
bc=$(awk 'BEGIN { printf "%.10f", sqrt(2 / (1 - 0.025)) }')
gbad=$(grep -v '^#' "$tmp/gr.csv" | tail -n +2 | awk -F, -v bc="$bc" \
  '($1 < bc && $9 != 0) || ($1 > bc && !($9 > 0))' | wc -l)
[ "$gbad" = 0 ]; ok $? "grad_wq is 0 below beta_c and positive above"
[ "$(grep -c '^grad,' "$tmp/gc.csv")" -ge 2 ]; ok $? "grad curve in the --curves table"
! grep -q '^lambda_g0,' "$tmp/gc.csv" && ! grep -q 'lambda_g' "$tmp/gr.csv"; ok $? "no lambda_g unless asked"
"$SP" diagram $small --overlay-lambda-g -o "$tmp/lg.csv" --curves "$tmp/lgc.csv"; ok $? "--overlay-lambda-g"
grep -v '^#' "$tmp/lg.csv" | head -n 1 | grep -q ',grad_wq,lambda_g,class$'; ok $? "lambda_g column"
grep -q '^lambda_g0,' "$tmp/lgc.csv"; ok $? "lambda_g = 0 curve"

# --- propagate -o FIGURE (and the old --plot) ------------------------------------------
"$SP" propagate --depth 20 -o "$tmp/p.png" --compare beta=0.5,3 -o "$tmp/p.csv"; ok $? "propagate -o FIGURE -o TABLE --compare"
[ -s "$tmp/p.png" ] && head -n 40 "$tmp/p.csv" | grep -q '^beta,layer,q,p,rho'; ok $? "figure, and a table with a beta column"
[ "$(grep -vc '^#' "$tmp/p.csv")" = 43 ]; ok $? "two trajectories of 21 rows"
"$SP" propagate --depth 5 -o "$tmp/p.pdf" --dpi 50 >"$tmp/out"; ok $? "propagate -o PDF"
[ ! -s "$tmp/out" ]; ok $? "a figure-only run prints nothing on stdout"
"$SP" propagate --depth 5 --plot "$tmp/p.pdf" --dpi 50 >"$tmp/out" 2>"$tmp/err"; ok $? "propagate --plot (old spelling)"
[ "$(grep -vc '^#' "$tmp/out")" = 7 ] && [ "$(wc -l <"$tmp/err")" = 1 ] \
  && grep -q '^sigprop: note: propagate: --plot FILE is deprecated; use -o FILE$' "$tmp/err"
ok $? "--plot: the table still on stdout, and a one-line deprecation note"

# --- usage errors -------------------------------------------------------------------
expect_error 2 "MIN must be below MAX" diagram --x beta:5:1:11
expect_error 2 "MIN must be below MAX" diagram --y alpha-sa:2:2:11 -o never.png
expect_error 2 "N must be between 2" diagram --x beta:0:5:1
expect_error 2 "not a model parameter" diagram --x gamma:0:1:5
expect_error 2 "log axis needs MIN > 0" diagram --x beta:0:5:11:log
expect_error 2 "leaves the domain" diagram --x beta:-1:5:11
expect_error 2 "both sweep beta" diagram --x beta:0:5:11 --y eta:0:5:11
expect_error 2 "both sweep" diagram --x var-w:0:1:5 --y var-w-in:0:1:5
expect_error 2 "whole numbers" diagram --x depth:1.5:10:5
expect_error 2 "not NAME:MIN:MAX:N" diagram --x beta:0:5
expect_error 2 "unknown format" diagram $small -o out.png -o out.xyz
expect_error 2 "not one of viridis" diagram $small --colormap jet
expect_error 2 "outside the diagram" diagram $small --mark 10,10
expect_error 2 "must lie in" diagram $small --size 10,10
expect_error 2 "outside (-1, 1]" diagram $small --rho-max 2
expect_error 2 "unknown option" diagram --frobnicate 1
expect_error 2 "rho0" diagram --x rho0:-0.6:0.5:5 --tokens 3 --attention uniform
for v in 0 1 NaN nan text -0.5 1.5; do
  expect_error 2 "overlay-gradient" diagram $small --overlay-gradient "$v" -o g.png
done
expect_error 2 "takes no value" diagram $small --overlay-lambda-g=1
expect_error 2 ".png, .pdf or .svg" propagate --plot fig.txt
expect_error 2 "outside the domain" propagate --compare beta=-1,2

# --- failures: nothing is left behind --------------------------------------------------
expect_error 1 "cannot write" diagram $small -o "$tmp/no/such/dir/a.png"
expect_error 1 "cannot write" diagram $small -o ok.png -o ok.csv -o "$tmp/no/such/dir/a.pdf"
expect_error 1 "cannot write" propagate -o "$tmp/no/such/dir/p.png"
mkdir "$tmp/ro" && chmod a-w "$tmp/ro"
if [ "$(id -u)" != 0 ]; then
  expect_error 1 "cannot write" diagram $small -o "$tmp/ro/a.png"
fi
[ -z "$(ls -A "$tmp/ro")" ]; ok $? "no file left in a read-only folder"

tap_done
