#!/bin/sh
# Command-line tests of the figure commands: `sigprop mlp --x/--y` (the MLP
# phase diagram), `sigprop attention`, `sigprop propagate --variant`, the
# figure options every drawing command shares (sizes with units, pixels and
# presets, fonts), and figures/make-figures.sh's argument checks.  Outputs exist and parse, the
# numbers match theory.md §3, §4 and §8, and every error path prints one
# line, exits 2 or 1 and leaves no file.  Prints TAP.  $SIGPROP is the
# program under test.
# SPDX-License-Identifier: GPL-3.0-or-later
. "$(dirname "$0")/tap.sh"

is_png() { [ "$(od -An -tx1 -N8 "$1" | tr -d ' \n')" = 89504e470d0a1a0a ]; }
# header FILE: the first non-comment line
header() { grep -v '^#' "$1" | head -n 1; }
# near A B TOL: |A - B| <= TOL
near() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'; }

# --- mlp phase diagram ----------------------------------------------------
"$SP" mlp --activation erf --x var-w:0.2:3:5 --y var-b:0:0.4:4 -o "$tmp/m.png" -o "$tmp/m.csv" \
  -o "$tmp/m.svg" >"$tmp/out" 2>"$tmp/err"
ok $? "mlp grid: PNG, CSV and SVG"
is_png "$tmp/m.png"; ok $? "mlp PNG signature"
grep -q '<svg' "$tmp/m.svg"; ok $? "mlp SVG parses as SVG"
[ "$(header "$tmp/m.csv")" = "var_w,var_b,q_star,chi1,c_star,xi_c,xi_q" ]; ok $? "mlp grid columns"
[ "$(grep -vc '^#' "$tmp/m.csv")" = 21 ]; ok $? "mlp grid: 20 points plus header"
grep -q '^# x: var-w from 0.2 to 3, 5 points, linear spacing$' "$tmp/m.csv" \
  && grep -q '^# activation: erf$' "$tmp/m.csv"; ok $? "mlp grid metadata"
# erf at var-b = 0: chi1 = 4 var-w / (pi sqrt(1 + 4 q*)), q* = 0 below var-w = pi/4
v=$(grep -v '^#' "$tmp/m.csv" | awk -F, '$1 == 0.2 && $2 == 0 { print $4 }')
near "$v" "$(awk 'BEGIN { printf "%.17g", 0.8 / atan2(0, -1) }')" 1e-12; ok $? "erf chi1 at (0.2, 0) = 0.8/pi (got $v)"
# tanh at var-b = 0.05: chi1 crosses 1 between var-w 1.76 and 1.77 (theory.md §8: 1.760955)
"$SP" mlp --activation tanh --x var-w:1.75:1.77:3 --y var-b:0.05:0.06:2 >"$tmp/t.csv"
ok $? "tanh grid on stdout"
grep -v '^#' "$tmp/t.csv" | awk -F, '$2 == 0.05 { w[++k] = $1; c[k] = $4 }
  END { if (k != 3 || !(c[2] < 1 && c[3] > 1)) exit 1
        x = w[2] + (1 - c[2]) / (c[3] - c[2]) * (w[3] - w[2]); d = x - 1.760955
        printf "# interpolated edge %.6f\n", x; exit !(d < 2e-4 && d > -2e-4) }'
ok $? "tanh edge of chaos at var-b = 0.05 near var-w = 1.760955"
# swapped axes give the same points
"$SP" mlp --activation tanh --y var-w:1.75:1.77:3 --x var-b:0.05:0.06:2 -o "$tmp/s.csv"
a=$(grep -v '^#' "$tmp/t.csv" | sort | md5sum); b=$(grep -v '^#' "$tmp/s.csv" | sort | md5sum)
[ "$a" = "$b" ]; ok $? "var-b on x: same points"
"$SP" mlp --activation relu --var-w 1 >"$tmp/one.csv"; ok $? "mlp without a grid still works"
[ "$(header "$tmp/one.csv")" = "q_star,chi1,c_star,xi_c,xi_q" ]; ok $? "one-point columns unchanged"
"$SP" mlp --x var-w:0.5:3:3 --y var-b:0.001:0.1:3:log -o "$tmp/l.json"; ok $? "log axis, JSON"
"$SP" mlp --activation gelu --x var-w:0.37:3.9:7 --y var-b:0.013:0.41:5 --threads 1 -o "$tmp/t1.csv" \
  && "$SP" mlp --activation gelu --x var-w:0.37:3.9:7 --y var-b:0.013:0.41:5 --threads 3 -o "$tmp/t3.csv"
ok $? "a grid on 1 and on 3 threads"
[ "$(grep -v '^# command' "$tmp/t1.csv" | md5sum)" = "$(grep -v '^# command' "$tmp/t3.csv" | md5sum)" ]
ok $? "the same table on 1 and on 3 threads"
expect_error 2 "threads" mlp --x var-w:1:2:3 --y var-b:0:1:3 --threads 0

expect_error 2 "give both" mlp --x var-w:1:2:3
expect_error 2 "one must be var-w" mlp --x var-w:1:2:3 --y var-w:0:1:3
expect_error 2 "not var-w or var-b" mlp --x beta:1:2:3 --y var-b:0:1:3
expect_error 2 "N must be between" mlp --x var-w:1:2:1 --y var-b:0:1:3
expect_error 2 "MIN must be below MAX" mlp --x var-w:2:1:3 --y var-b:0:1:3
expect_error 2 "MIN must be >= 0" mlp --x var-w:-1:1:3 --y var-b:0:1:3
expect_error 2 "log axis needs MIN > 0" mlp --x var-w:1:2:3 --y var-b:0:1:3:log
expect_error 2 "not NAME:MIN:MAX:N" mlp --x var-w:1:2 --y var-b:0:1:3
expect_error 2 "not a number" mlp --x var-w:a:2:3 --y var-b:0:1:3
expect_error 2 "unknown option" mlp --x var-w:1:2:3 --y var-b:0:1:3 --bogus 1
expect_error 2 "activation" mlp --activation cubic --x var-w:1:2:3 --y var-b:0:1:3 -o m.png
expect_error 2 "unknown format" mlp --x var-w:1:2:3 --y var-b:0:1:3 -o m.txt
expect_error 2 "needs --x and --y" mlp -o m.png
expect_error 1 "cannot write" mlp --x var-w:1:2:3 --y var-b:0:1:3 -o no/such/dir/m.png
expect_error 1 "cannot write" mlp --x var-w:1:2:3 --y var-b:0:1:3 -o m.csv -o no/such/dir/m.png

# --- attention --------------------------------------------------------------
"$SP" attention --tokens 8,512 --lambda 0:3:7 -o "$tmp/a.csv" -o "$tmp/a.png" -o "$tmp/a.pdf"
ok $? "attention: CSV, PNG, PDF"
is_png "$tmp/a.png"; ok $? "attention PNG signature"
head -c 5 "$tmp/a.pdf" | grep -q '%PDF-'; ok $? "attention PDF magic"
[ "$(header "$tmp/a.csv")" = "tokens,lambda,y2,y3,y2sq,g,entropy,entropy_ratio" ]
ok $? "attention columns"
[ "$(grep -vc '^#' "$tmp/a.csv")" = 22 ]; ok $? "attention: 3 x 7 rows plus header"
rows() { grep -v '^#' "$tmp/a.csv" | tail -n +2; }
rows | awk -F, '$2 == 0 && $1 != "inf" { T = $1; if ($3 != 1 / T || $4 != 1 / (T * T)) exit 1
  d = $7 - log(T); if (d < 0) d = -d; if (d > 1e-12 || $8 != 1) exit 1; k++ } END { exit k != 2 }'
ok $? "lambda = 0: y2 = 1/T, y3 = 1/T^2, entropy = log T exactly"
rows | awk -F, '$1 == "inf" { l = $2; y = l > sqrt(2) ? 1 - sqrt(2) / l : 0
  d = $3 - y; if (d < 0) d = -d; if (d > 1e-12) exit 1
  r = l < sqrt(2) ? 1 - l * l / 2 : 0; d = $8 - r; if (d < 0) d = -d; if (d > 1e-12) exit 1
  m = sqrt(2) / l; if (l > sqrt(2)) { d = $6 - m * (1 - m) / 3; if (d < 0) d = -d; if (d > 1e-12) exit 1 }
  else if ($7 != "") exit 1
  k++ } END { exit k != 7 }'
ok $? "inf rows: E Y2 = max(0, 1 - sqrt2/lambda), H/log T = 1 - lambda^2/2, G = m(1-m)/3"
v=$(rows | awk -F, '$1 == 512 && $2 == 1 { print $3 }')
near "$v" 0.1015 1e-4; ok $? "T = 512, lambda = 1: E Y2 = 0.1015 (theory.md §4; got $v)"
"$SP" attention --causal --tokens 16 --lambda 0:1:2 -o "$tmp/c.json"; ok $? "causal, JSON"
grep -q '"causal"' "$tmp/c.json"; ok $? "causal recorded"
"$SP" attention --tokens 16 --lambda 0:1:2 | grep -q '^inf,1,'; ok $? "table on stdout"

expect_error 2 "N must be between" attention --lambda 0:1:1
expect_error 2 "MIN must be below MAX" attention --lambda 2:1:5
expect_error 2 "leaves" attention --lambda -1:1:5
expect_error 2 "leaves" attention --lambda 0:100:5
expect_error 2 "not MIN:MAX:N" attention --lambda 0:1
expect_error 2 "outside" attention --tokens 1
expect_error 2 "not a whole number" attention --tokens 64,5.5
expect_error 2 "at most 8" attention --tokens 2,3,4,5,6,7,8,9,10
expect_error 2 "unknown option" attention --beta 1
expect_error 2 "takes no value" attention --causal=yes
expect_error 2 "unknown format" attention -o a.txt
expect_error 1 "cannot write" attention --lambda 0:1:2 -o a.csv -o no/such/dir/a.png

# --- propagate --variant -------------------------------------------------------
"$SP" propagate --depth 5 --variant 'post=--norm post' --variant 'pre=--norm pre --attention centred' \
  -o "$tmp/v.png" -o "$tmp/v.csv"
ok $? "propagate --variant, figure and table"
is_png "$tmp/v.png"; ok $? "variant PNG signature"
[ "$(grep -v '^#' "$tmp/v.csv" | head -n 1 | cut -d, -f1-3)" = "variant,layer,q" ] \
  && [ "$(grep -c '^pre,' "$tmp/v.csv")" = 6 ]; ok $? "variant column and rows"
"$SP" propagate --depth 5 --norm pre --attention centred | grep -v '^#' | tail -n +2 >"$tmp/plain"
grep '^pre,' "$tmp/v.csv" | cut -d, -f2- >"$tmp/fromv"
cmp -s "$tmp/plain" "$tmp/fromv"; ok $? "a variant equals the same options given plainly"
# The header describes the variants, not the base model: each variant's
# options and its own exponents, equal to those of the plain run.
grep -q "^# variant-1: post=--norm post$" "$tmp/v.csv" \
  && grep -q "^# variant-2: pre=--norm pre --attention centred$" "$tmp/v.csv"
ok $? "one '# variant-N:' line per variant"
! grep -q '^# lambda_a:' "$tmp/v.csv"; ok $? "no lambda_a of the base model in a variant run"
for v in "1 --norm post" "2 --norm pre --attention centred"; do
  set -- $v; k=$1; shift
  for e in lambda_a lambda_g; do
    want=$("$SP" propagate --depth 5 "$@" | sed -n "s/^# $e: \([^ ]*\) .*/\1/p")
    got=$(sed -n "s/^# variant-$k-$e: \([^ ]*\) .*/\1/p" "$tmp/v.csv")
    [ -n "$want" ] && [ "$want" = "$got" ]; ok $? "variant $k: $e $got = plain run's $want"
  done
done
expect_error 2 "choose one" propagate --compare beta=1,2 --variant 'a=--norm pre'
expect_error 2 "not LABEL=OPTIONS" propagate --variant 'pre'
expect_error 2 "not a model option" propagate --variant 'a=--plot x.png'
expect_error 2 "given twice" propagate --variant 'a=--norm pre' --variant 'a=--norm post'
expect_error 2 "norm" propagate --variant 'a=--norm sideways' -o v.png

# --- figure options (the shared figure table) -------------------------------
png_size() { od -An -tu1 -j16 -N8 "$1" | awk '{ printf "%d %d", $3 * 256 + $4, $7 * 256 + $8 }'; }
"$SP" propagate --depth 6 --size 3.25x2in --dpi 100 -o "$tmp/in.png" >/dev/null
[ "$(png_size "$tmp/in.png")" = "325 200" ]; ok $? "--size 3.25x2in at 100 dpi: 325 x 200 pixels"
"$SP" propagate --depth 6 --size 8.26cm,5.08cm --dpi 100 -o "$tmp/cm.png" >/dev/null
[ "$(png_size "$tmp/cm.png")" = "326 200" ]; ok $? "--size 8.26cm,5.08cm at 100 dpi: 326 x 200 pixels"
"$SP" propagate --depth 6 --size 913x457px --dpi 137 -o "$tmp/px.png" >/dev/null
[ "$(png_size "$tmp/px.png")" = "913 457" ]; ok $? "--size 913x457px: that many pixels whatever --dpi"
"$SP" propagate --depth 6 --dpi 211 --size 913×457px -o "$tmp/px2.png" >/dev/null
[ "$(png_size "$tmp/px2.png")" = "913 457" ]; ok $? "--size W×H px with --dpi before it"
"$SP" propagate --depth 6 --size column --dpi 100 -o "$tmp/col.png" >/dev/null
[ "$(png_size "$tmp/col.png")" = "325 260" ]; ok $? "--size column: 3.25 in wide, 0.8 of that tall"
"$SP" propagate --depth 6 --size page --dpi 100 -o "$tmp/page.png" >/dev/null
[ "$(png_size "$tmp/page.png")" = "675 264" ]; ok $? "--size page: 6.75 in wide, the default height"
"$SP" propagate --depth 6 --font "DejaVu Serif" --font-size 9.5 -o "$tmp/serif.pdf" >/dev/null
pdffonts "$tmp/serif.pdf" 2>/dev/null | grep -q "DejaVuSerif.* yes "; ok $? "--font DejaVu Serif: embedded in the PDF"
"$SP" propagate --depth 7 --panels rho,qk_v_ratio,grad_wq -o "$tmp/pan.svg" >/dev/null
grep -q "<svg" "$tmp/pan.svg"; ok $? "--panels rho,qk_v_ratio,grad_wq draws"
"$SP" propagate --depth 7 --attention-stats finite --tokens 97 --beta 0.1639937 -o "$tmp/t.png" >/dev/null
grep -a -q "β = 0.164, ρ0 = 0.025, finite T = 97" "$tmp/t.png"
ok $? "default title: three significant digits, finite-T statistics named (plain Title metadata)"
"$SP" propagate --depth 7 --causal --attention-stats finite -o "$tmp/c.png" >/dev/null
grep -a -q "post-LN decoder (causal)" "$tmp/c.png"; ok $? "default title names the causal mask"
"$SP" propagate --depth 3 -o - -o "$tmp/meta.png" | grep -q "^# command: sigprop propagate --depth 3 -o - -o '\?$tmp/meta.png'\?\$"
ok $? "the recorded command line names the program sigprop, not its path"
grep -a -q "Description.....sigprop propagate" "$tmp/meta.png" && ! grep -a -q "CreationDate\|$(dirname "$SP")" "$tmp/meta.png"
ok $? "PNG metadata: the command from 'sigprop', no build path"
expect_error 2 "units" propagate --size 3x2furlong -o x.png
expect_error 2 "not W,H" propagate --size 300 -o x.png
expect_error 2 "must lie in" propagate --size 0.5x0.5in -o x.png
expect_error 2 "must lie in" propagate --size 100x100px --dpi 300 -o x.png
expect_error 2 "must lie in" propagate --size 40000x300px -o x.png
expect_error 2 "no font family" propagate --font "No Such Family 7" -o x.png
expect_error 2 "font-size" propagate --font-size 2 -o x.png
expect_error 2 "is not one of" propagate --panels rho,purity -o x.png
expect_error 2 "empty" propagate --panels , -o x.png
"$SP" diagram --x beta:0:5:9 --y alpha-sa:0:5:9 --range 0.5:1 --quiet -o "$tmp/r.png" -o "$tmp/r.svg" >/dev/null
grep -q "<svg" "$tmp/r.svg" && is_png "$tmp/r.png"; ok $? "diagram --range 0.5:1 draws"
expect_error 2 "LO must be below HI" diagram --range 1:0.5 -o x.png
expect_error 2 "is not LO:HI" diagram --range 0.5 -o x.png
expect_error 2 "range" diagram --range 0.5:one -o x.png

# Every command that draws takes the same figure options: pixels, presets,
# the font and its size (cli_figure_group and cli_figure_alloc).
mlp_args="mlp --x var-w:0.5:3:4 --y var-b:0.01:0.3:3"
att_args="attention --lambda 0:2:4 --tokens 16"
dia_args="diagram --x beta:0:3:5 --y alpha-sa:0:3:5 --depth 7 --quiet"
val_args="validate --width 24 --tokens 8 --depth 3 --seeds 2 --seed 5 --quiet"
grad_args="validate --gradient --width 24 --tokens 8 --seeds 2 --beta-range 0.3:2.7:4 --quiet"
trn_args="train --task copy --vocab 5 --tokens 6 --width 8 --heads 2 --depth 1 --batch 3 --steps 3 --quiet"
for c in mlp att dia val grad trn; do
  eval "args=\$${c}_args"
  "$SP" $args --size 1103x827px --dpi 173 -o "$tmp/$c-px.png" >/dev/null
  [ "$(png_size "$tmp/$c-px.png")" = "1103 827" ]; ok $? "${args%% *} ($c): --size 1103x827px gives 1103 x 827 pixels"
  "$SP" $args --size column --dpi 100 -o "$tmp/$c-col.png" >/dev/null
  set -- $(png_size "$tmp/$c-col.png")
  [ "$1" = 325 ] && [ "$2" -le 260 ] && [ "$2" -ge 72 ]
  ok $? "${args%% *} ($c): --size column at 100 dpi is 325 wide, at most 260 tall (got $1 x $2)"
  "$SP" $args --font "DejaVu Serif" --font-size 6.5 -o "$tmp/$c-serif.pdf" >/dev/null
  pdffonts "$tmp/$c-serif.pdf" 2>/dev/null | grep -q "DejaVuSerif.* yes "
  ok $? "${args%% *} ($c): --font DejaVu Serif embedded in the PDF"
  "$SP" $args --font-size 11.5 -o "$tmp/$c-big.svg" >/dev/null
  "$SP" $args -o "$tmp/$c-small.svg" >/dev/null
  ! cmp -s "$tmp/$c-big.svg" "$tmp/$c-small.svg"; ok $? "${args%% *} ($c): --font-size changes the figure"
  expect_error 2 "no font family" $args --font "No Such Family 7" -o x.png
  expect_error 2 "font-size" $args --font-size 80 -o x.png
  expect_error 2 "units" $args --size 3x2furlong -o x.png
done
# A bare --size number is in points: 3.25 in = 234 points.
"$SP" $mlp_args --size 234,180 --dpi 100 -o "$tmp/pt.png" >/dev/null
[ "$(png_size "$tmp/pt.png")" = "325 250" ]; ok $? "mlp --size 234,180 is in points: 325 x 250 pixels at 100 dpi"
# A figure drawn twice is the same file: no run timing in its metadata
# (the table has it).
mkdir "$tmp/r1" "$tmp/r2"
(cd "$tmp/r1" && "$SP" $val_args -o v.png -o v.csv) && (cd "$tmp/r2" && "$SP" $val_args -o v.png -o v.csv)
cmp -s "$tmp/r1/v.png" "$tmp/r2/v.png" && grep -q '^# seconds: ' "$tmp/r1/v.csv" \
  && ! grep -a -q 'seconds: \|threads: ' "$tmp/r1/v.png"
ok $? "validate: the figure records no seconds or threads, and is the same file twice"
expect_error 1 "too small" $val_args --size 100,80 -o x.png
# Pixels are checked at the final resolution, whatever the order.
expect_error 2 "must lie in" $mlp_args --size 200x200px --dpi 300 -o x.png
"$SP" $mlp_args --size 200x200px --dpi 100 -o "$tmp/small.png" >/dev/null
[ "$(png_size "$tmp/small.png")" = "200 200" ]; ok $? "mlp --size 200x200px then --dpi 100: 200 x 200 pixels"
expect_error 2 "must be positive" $mlp_args --size -200x200px -o x.png

# mlp --range: the colours' range, its errors.
"$SP" $mlp_args --range 0.25:1.75 -o "$tmp/mr.svg" -o "$tmp/mr.csv" >/dev/null
"$SP" $mlp_args -o "$tmp/ma.svg" >/dev/null
grep -q "<svg" "$tmp/mr.svg" && ! cmp -s "$tmp/mr.svg" "$tmp/ma.svg"; ok $? "mlp --range 0.25:1.75 draws other colours"
expect_error 2 "LO must be below HI" $mlp_args --range 1.5:0.5 -o x.png
expect_error 2 "is not LO:HI" $mlp_args --range 0.5 -o x.png
expect_error 2 "not a number" $mlp_args --range 0.5:x -o x.png

# --- the figures script ------------------------------------------------------
if [ -n "${SIGPROP_FIGURES_SCRIPT:-}" ]; then
  sh "$SIGPROP_FIGURES_SCRIPT" >/dev/null 2>"$tmp/err"; [ $? = 2 ]; ok $? "make-figures.sh without arguments: usage, status 2"
  sh "$SIGPROP_FIGURES_SCRIPT" "$tmp/nothing" "$tmp/o" >/dev/null 2>&1; [ $? = 1 ] && [ ! -e "$tmp/o" ]
  ok $? "make-figures.sh with no program: status 1, no output folder"
fi

tap_done
