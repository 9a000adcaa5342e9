#!/bin/sh
# Command-line tests of train: every error path (one line on stderr, exit
# status 2 for usage and 1 for failures, nothing on stdout, no output file
# left behind), the table's shape and header, outputs by extension, and
# identical results for any thread count.  TAP output.
# SPDX-License-Identifier: GPL-3.0-or-later
set -u
SIGPROP=${SIGPROP:-sigprop}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sigprop-cli-train.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
check() { if [ "$1" = 0 ]; then ok "$2"; else notok "$2"; fi; }

small="--width 16 --heads 2 --vocab 7 --batch 3 --tokens 10 --depth 2 --steps 6 --eval-every 4 --threads 2"

# expect_error STATUS PATTERN DESCRIPTION -- ARGS...: exit status, exactly one
# stderr line "sigprop: ..." matching PATTERN, nothing on stdout, no file.
expect_error() {
  want=$1 pat=$2 what=$3
  shift 4
  rm -f "$tmp/o.csv"
  "$SIGPROP" "$@" >"$tmp/out" 2>"$tmp/err"
  got=$?
  lines=$(wc -l <"$tmp/err")
  if [ "$got" = "$want" ] && [ "$lines" = 1 ] && grep -q "^sigprop: .*$pat" "$tmp/err" &&
     [ ! -s "$tmp/out" ] && [ ! -e "$tmp/o.csv" ]; then
    ok "$what (exit $got: $(cat "$tmp/err"))"
  else
    notok "$what: exit $got (want $want), stderr: $(cat "$tmp/err")"
  fi
}

# token files: 200 little-endian uint16 ids 0..9, an odd-sized copy, an empty one
printf '%s' "$(i=0; while [ $i -lt 200 ]; do printf '\\%03o\\000' $((i * 7 % 10)); i=$((i + 1)); done)" >"$tmp/fmt"
printf "$(cat "$tmp/fmt")" >"$tmp/ok.bin"
head -c 399 "$tmp/ok.bin" >"$tmp/odd.bin"
: >"$tmp/empty.bin"

expect_error 2 "steps" "zero steps" -- train $small --steps 0
expect_error 2 "lr.*not > 0" "lr 0" -- train $small --lr 0
expect_error 2 "lr.*not > 0" "negative lr" -- train $small --lr -0.01
expect_error 2 "vocab" "vocab below 2" -- train $small --vocab 1
expect_error 2 "batch" "batch below 1" -- train $small --batch 0
expect_error 2 "heads.*divide" "heads not dividing the width" -- train $small --heads 3
expect_error 2 "tokens 9 is odd" "copy with an odd sequence length" -- train $small --tokens 9
expect_error 2 "optimizer" "unknown optimizer" -- train $small --optimizer lion
expect_error 2 "unknown option" "unknown option" -- train $small --bogus 1
expect_error 2 "masked" "masked token file" -- train $small --data "$tmp/ok.bin" --masked
expect_error 1 "holds an id >= --vocab 7" "token file with ids >= vocab" -- train $small --data "$tmp/ok.bin" -o "$tmp/o.csv"
expect_error 1 "399 bytes is not a whole number of 2-byte ids" "odd-sized token file" -- train $small --vocab 10 --data "$tmp/odd.bin" -o "$tmp/o.csv"
expect_error 1 "empty file" "empty token file" -- train $small --vocab 10 --data "$tmp/empty.bin" -o "$tmp/o.csv"
expect_error 1 "cannot read" "missing token file" -- train $small --data "$tmp/none.bin" -o "$tmp/o.csv"
expect_error 1 "too short" "token file too short for a held-out window" -- train $small --vocab 10 --data "$tmp/ok.bin" --holdout 0.01
expect_error 1 "more than the .* of this machine" "memory that would not fit" -- train $small --width 200000 --batch 100000 -o "$tmp/o.csv"
expect_error 2 "unknown format" "unknown output extension" -- train $small -o "$tmp/o.txt"
expect_error 2 "standard output given twice" "-o - twice" -- train $small -o - -o -
expect_error 2 "given twice" "the same -o file twice" -- train $small -o "$tmp/o.csv" -o "$tmp/o.csv"
expect_error 2 "standard output given twice" "grid: -o - twice" -- train $small --grid-x beta:0.5:2:2 --grid-y alpha-sa:0.5:1:2 -o - -o -

# token files that are not regular files, or too large: refused from their
# kind and size, before anything is read (reading any of these would not end
# or would exhaust the memory)
expect_error 1 "/dev/zero: not a regular file" "a device as token file (/dev/zero)" -- train $small --vocab 10 --data /dev/zero -o "$tmp/o.csv"
expect_error 1 "/dev/full: not a regular file" "a device as token file (/dev/full)" -- train $small --vocab 10 --data /dev/full -o "$tmp/o.csv"
expect_error 1 "not a regular file" "a directory as token file" -- train $small --vocab 10 --data "$tmp" -o "$tmp/o.csv"
mkfifo "$tmp/fifo"
expect_error 1 "fifo: not a regular file" "a FIFO as token file (no writer: opening it would block)" -- train $small --vocab 10 --data "$tmp/fifo" -o "$tmp/o.csv"
(head -c 4000 "$tmp/ok.bin" | "$SIGPROP" train $small --vocab 10 --data /dev/stdin -o "$tmp/o.csv") >"$tmp/out" 2>"$tmp/err"
got=$?
[ "$got" = 1 ] && [ "$(wc -l <"$tmp/err")" = 1 ] && grep -q '^sigprop: --data /dev/stdin: not a regular file' "$tmp/err" && [ ! -e "$tmp/o.csv" ]
check $? "a pipe as token file (--data /dev/stdin): exit $got, $(cat "$tmp/err")"
# sparse files: 2^28 + 1 two-byte ids, and 2^27 ids with a network that
# does not fit (the file's 512 MiB counted with it)
dd if=/dev/null of="$tmp/big.bin" bs=1 seek=536870914 2>/dev/null
expect_error 1 "268435457 ids, more than the limit of 268435456 (2^28) ids" "a token file over 2^28 ids" -- train $small --vocab 10 --data "$tmp/big.bin" -o "$tmp/o.csv"
dd if=/dev/null of="$tmp/half.bin" bs=1 seek=268435456 2>/dev/null
expect_error 1 "the token file), more than the .* of this machine" "memory of the network and the token file, before reading" -- train $small --vocab 10 --data "$tmp/half.bin" --width 200000 --batch 100000 -o "$tmp/o.csv"
expect_error 2 "data-bytes: 3" "--data-bytes 3" -- train $small --vocab 10 --data "$tmp/ok.bin" --data-bytes 3
rm -f "$tmp/big.bin" "$tmp/half.bin"

"$SIGPROP" train $small >"$tmp/t.csv" 2>"$tmp/err"
check $? "a small run succeeds"
head=$(grep -v '^#' "$tmp/t.csv" | head -n 1)
case "$head" in
  step,train_loss,eval_loss,lr,grad_q_1,grad_k_1,grad_v_1,grad_mlp_1,grad_q_2,*,rho_0,rho_1,rho_2,entropy_1,entropy_2)
    ok "columns: $head" ;;
  *) notok "columns: $head" ;;
esac
grep -q '^# best_loss: 0$' "$tmp/t.csv"; check $? "copy: header # best_loss: 0"
rows=$(grep -v '^#' "$tmp/t.csv" | awk -F, 'NR > 1 { printf "%s:%s ", $1, ($3 == "" ? "-" : "e") }')
[ "$rows" = "0:e 1:- 2:- 3:- 4:e 5:- 6:e " ]; check $? "evaluation at step 0, every 4 steps and the last step, empty between: $rows"

# the output convention: -o - is CSV on standard output, alongside files;
# with only files, nothing on standard output
"$SIGPROP" train $small -o - -o "$tmp/t2.tsv" -o "$tmp/t2.json" >"$tmp/t2.csv" 2>"$tmp/err"
check $? "-o - with a .tsv and a .json"
grep -v '^# \(command\|speed\)' "$tmp/t2.csv" >"$tmp/a2"
grep -v '^# \(command\|speed\)' "$tmp/t.csv" >"$tmp/b2"
cmp -s "$tmp/a2" "$tmp/b2"; check $? "-o - writes the same CSV as no -o"
[ "$(grep -v '^#' "$tmp/t2.tsv" | head -n 1 | cut -f 1-3)" = "$(printf 'step\ttrain_loss\teval_loss')" ]; check $? "-o FILE.tsv: a TSV table"
grep -q '"step"' "$tmp/t2.json"; check $? "-o FILE.json: a JSON table"
"$SIGPROP" train $small -o "$tmp/t3.csv" >"$tmp/out" 2>"$tmp/err"
[ $? = 0 ] && [ ! -s "$tmp/out" ] && [ -s "$tmp/t3.csv" ]; check $? "-o FILE only: nothing on standard output"
"$SIGPROP" train $small -o - -o "$tmp/t4.svg" >"$tmp/t4.csv" 2>"$tmp/err"
[ $? = 0 ] && grep -q '<svg' "$tmp/t4.svg" && grep -q '^step,' "$tmp/t4.csv"; check $? "-o - and a figure"
rm -f "$tmp/o.svg"
"$SIGPROP" train $small -o "$tmp/o.svg" -o "$tmp/nodir/o.csv" >"$tmp/out" 2>"$tmp/err"
[ $? = 1 ] && [ "$(wc -l <"$tmp/err")" = 1 ] && [ ! -e "$tmp/o.svg" ] && [ ! -s "$tmp/out" ]
check $? "one output that cannot be written: none written ($(cat "$tmp/err"))"
expect_error 2 "size" "a figure size out of range" -- train $small --size 10x10 -o "$tmp/o.png"

"$SIGPROP" train $small --threads 1 >"$tmp/t1.csv" 2>/dev/null
grep -v '^# \(command\|speed\)' "$tmp/t.csv" >"$tmp/a"
grep -v '^# \(command\|speed\)' "$tmp/t1.csv" >"$tmp/b"
cmp -s "$tmp/a" "$tmp/b"; check $? "the same table on 1 and 2 threads"

"$SIGPROP" train $small --task markov --gamma 0.37 -o "$tmp/m.csv" -o "$tmp/m.png" -o "$tmp/m.svg" 2>"$tmp/err"
check $? "markov: table and two figures in one run"
best=$(sed -n 's/^# best_loss: //p' "$tmp/m.csv")
awk -v b="$best" 'BEGIN { exit !(b > 0 && b < log(7)) }'; check $? "markov: best loss $best in (0, log V)"
[ "$(head -c 8 "$tmp/m.png" | od -An -c | tr -d ' ')" = '211PNG\r\n032\n' ]; check $? "PNG written"
grep -q '<svg' "$tmp/m.svg"; check $? "SVG written"

"$SIGPROP" train $small --vocab 10 --data "$tmp/ok.bin" -o "$tmp/d.csv" 2>"$tmp/err"
check $? "token file: a run succeeds"
grep -q '^# best_loss: unknown$' "$tmp/d.csv"; check $? "token file: best loss unknown"

"$SIGPROP" train $small --masked --task markov --optimizer sgd --schedule cosine --warmup 2 -o "$tmp/k.csv" 2>"$tmp/err"
check $? "masked markov with SGD, warm-up and cosine schedule"
lr=$(grep -v '^#' "$tmp/k.csv" | awk -F, '$1 == 1 { print $4 }')
awk -v x="$lr" 'BEGIN { exit !(x == 0.0005) }'; check $? "warm-up: lr at step 1 of 2 is half the rate ($lr)"

expect_error 2 "go together" "--grid-x without --grid-y" -- train $small --grid-x beta:0.5:2:2
expect_error 2 "not a valid axis" "a grid axis outside the domain" -- train $small --grid-x beta:-1:2:2 --grid-y alpha-sa:0.5:1:2
expect_error 2 "not NAME:MIN:MAX:N" "a malformed grid axis" -- train $small --grid-x beta:1 --grid-y alpha-sa:0.5:1:2
expect_error 2 "y2-max" "--y2-max above 1" -- train $small --grid-x beta:0.5:2:2 --grid-y alpha-sa:0.5:1:2 --y2-max 1.5
expect_error 1 "more than the .* of this machine" "grid: memory that would not fit" -- train $small --width 200000 --batch 100000 --grid-x beta:0.5:2:2 --grid-y alpha-sa:0.5:1:2 -o "$tmp/o.csv"
expect_error 2 "built-in tasks only" "a grid on a token file" -- train $small --vocab 10 --data "$tmp/ok.bin" --grid-x beta:0.5:2:2 --grid-y alpha-sa:0.5:1:2
"$SIGPROP" train $small --causal --grid-x beta:0.5:3:2 --grid-y alpha-sa:0.3:1.5:2 --grid-seeds 2 -o "$tmp/g.csv" -o "$tmp/g.svg" 2>"$tmp/err"
check $? "a 2 x 2 grid with two seeds each"
rows=$(grep -v '^#' "$tmp/g.csv" | awk 'END { print NR }')
[ "$rows" = 9 ]; check $? "grid table: a header and 8 networks ($rows lines)"
grep -v '^#' "$tmp/g.csv" | head -n 1 | grep -q '^beta,alpha-sa,class,seed,eval_loss,trained,agree$'; check $? "grid columns"
grep -q '^# agreement: [0-9]* of 8 networks' "$tmp/g.csv"; check $? "agreement line: $(grep '^# agreement' "$tmp/g.csv")"
grep -q '<svg' "$tmp/g.svg"; check $? "grid figure"
"$SIGPROP" train $small --causal --grid-x beta:0.5:3:2 --grid-y alpha-sa:0.3:1.5:2 --grid-seeds 2 -o - >"$tmp/g2.csv" 2>"$tmp/err"
check $? "grid with -o -"
grep -v '^# \(command\|speed\)' "$tmp/g.csv" >"$tmp/a3"
grep -v '^# \(command\|speed\)' "$tmp/g2.csv" >"$tmp/b3"
cmp -s "$tmp/a3" "$tmp/b3"; check $? "grid: -o - writes the table of -o FILE.csv"
"$SIGPROP" train $small --causal --grid-x beta:0.5:3:2 --grid-y alpha-sa:0.3:1.5:2 --grid-seeds 1 -o "$tmp/g3.json" >"$tmp/out" 2>"$tmp/err"
[ $? = 0 ] && [ ! -s "$tmp/out" ] && grep -q '"agree"' "$tmp/g3.json"; check $? "grid: -o FILE.json only, nothing on standard output"

"$SIGPROP" train --help >"$tmp/help" 2>&1
check $? "--help"
grep -q -- '--eval-every' "$tmp/help"; check $? "--help lists --eval-every"

echo "1..$n"
[ "$failed" = 0 ]
