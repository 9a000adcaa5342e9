#!/bin/sh
# Command-line tests of simulate and validate: error paths (one line on
# stderr, exit status 2 for usage and 1 for failures, no output file left
# behind) and the shape of the tables.  TAP output.
# SPDX-License-Identifier: GPL-3.0-or-later
. "$(dirname "$0")/tap.sh"

small="--width 32 --seeds 2 --tokens 16 --depth 3 --threads 2"

expect_error 2 "width" "width below 2" -- simulate --width 1 --seeds 2 --tokens 16 --depth 2
expect_error 2 "tokens" "tokens below 2" -- simulate --width 16 --seeds 2 --tokens 1 --depth 2
expect_error 2 "seeds" "seeds below 1" -- simulate --width 16 --seeds 0 --tokens 16 --depth 2
expect_error 2 "heads.*divide" "heads not dividing the width" -- simulate $small --heads 5
expect_error 2 "heads" "zero heads" -- simulate $small --heads 0
expect_error 2 "unknown option" "unknown option" -- simulate $small --bogus 3
expect_error 2 "width D is required" "missing width" -- simulate --seeds 2 --tokens 16
expect_error 2 "seeds S is required" "missing seeds" -- simulate --width 16 --tokens 16
expect_error 2 "not a whole number" "fractional width" -- simulate --width 16.5 --seeds 1
expect_error 2 "threads" "zero threads" -- simulate $small --threads 0
expect_error 2 "tokens-scale" "tokens-scale below 2" -- simulate $small --tokens-scale 1
expect_error 2 "beta" "negative beta" -- simulate $small --beta -1
expect_error 1 "needs [0-9.]* [TGMk]B of memory" "memory that cannot fit is refused with the number" \
  -- simulate --width 4000000 --seeds 1 --tokens 4000000 --depth 2
expect_error 2 "a table is written" "image extension for simulate" -- simulate $small -o "$tmp/x.png"
expect_error 2 "unknown option" "validate: unknown option" -- validate $small --bogus
expect_error 1 "overflow" "a stream that overflows fails cleanly" \
  -- simulate $small --norm none --alpha-sa 100000 --alpha-mlp 100000 --depth 10 -o "$tmp/overflow.csv"
[ ! -e "$tmp/overflow.csv" ] && [ -z "$(ls "$tmp" | grep -v '^out$\|^err$\|^e$\|^stdout$\|^stderr$')" ]
ok $? "no output file or temporary file left after a failure"

# a good run: header, columns, rows, nothing on stderr (not a terminal)
"$SP" simulate $small --seed 9 -o "$tmp/s.csv" 2>"$tmp/err"
ok $? "simulate writes a table"
[ ! -s "$tmp/err" ]
ok $? "no progress line when stderr is not a terminal"
expect_columns "$tmp/s.csv" \
  layer,q,q_se,p,p_se,rho,rho_se,cos,cos_se,rho_std,rho_std_se,y2,y2_se,y3,y3_se,entropy,entropy_se,max_attention,max_attention_se,overlap,overlap_se \
  "simulate columns"
[ "$(grep -vc '^#' "$tmp/s.csv")" = 5 ]
ok $? "simulate: a header and depth + 1 rows"
grep -q '^# seed: 9' "$tmp/s.csv"
ok $? "the seed is echoed in the metadata"
"$SP" simulate $small --seed 9 --threads 1 -o "$tmp/s1.csv" 2>/dev/null
grep -v '^#' "$tmp/s.csv" >"$tmp/a" && grep -v '^#' "$tmp/s1.csv" >"$tmp/b" && cmp -s "$tmp/a" "$tmp/b"
ok $? "one and two threads print the same table"
"$SP" simulate $small --gradient --heads 2 --causal >"$tmp/g.csv" 2>/dev/null
ok $? "simulate --gradient --heads 2 --causal runs"
grep -v '^#' "$tmp/g.csv" | head -1 | grep -q ',grad_wq,grad_wq_se$'
ok $? "--gradient adds grad_wq and grad_wq_se"

"$SP" validate $small --beta 0.3 -o "$tmp/v.csv" 2>/dev/null
ok $? "validate writes its table"
grep -v '^#' "$tmp/v.csv" | head -1 | grep -q '^layer,rho_sim,rho_sim_se,rho_theory,rho_dev,rho_z,y2_sim,y2_sim_se,y2_theory,y2_dev,y2_z$'
ok $? "validate columns"
grep -q '^# worst-rho: layer [0-9]' "$tmp/v.csv" && grep -q '^# worst-rho-z: layer [0-9]' "$tmp/v.csv"
ok $? "validate names the worst layer"
"$SP" validate $small --beta 0.3 >"$tmp/v2.csv" 2>/dev/null && grep -q '^layer,rho_sim' "$tmp/v2.csv"
ok $? "validate prints the table on stdout without -o"

# A negative input cosine that T tokens allow is simulated, whatever the
# theory's attention statistics (the T -> infinity theory has no rho0 < 0).
"$SP" simulate --width 48 --seeds 3 --tokens 37 --depth 2 --rho0 -0.0213 -o "$tmp/neg.csv" 2>/dev/null &&
  awk -F, '$1 == "0" { r = $6 + 0; exit !(r > -0.0213 - 0.004 && r < -0.0213 + 0.004) }' "$tmp/neg.csv"
ok $? "simulate --rho0 -0.0213 --tokens 37 runs and starts at rho = -0.0213"
expect_error 2 "below -1/(T-1) = -0.0277778, impossible for 37 tokens" "rho0 below -1/(T-1) is refused" -- \
  simulate --width 48 --seeds 3 --tokens 37 --depth 2 --rho0 -0.0291

tap_done
