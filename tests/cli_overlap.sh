#!/usr/bin/env bash
# Command-line tests of the exact finite-T row overlap in the sweeping
# commands: diagram, critical and recommend accept --row-overlap exact (read
# from a table built once per T), and the diagram's rows match `propagate`
# at a grid point.
# Prints TAP.  $SIGPROP is the program under test.
# SPDX-License-Identifier: GPL-3.0-or-later
set -u
SP=${SIGPROP:?SIGPROP must name the sigprop program}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 failed=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }

"$SP" critical alpha-sa --where rho-final=0.9 --attention-stats finite --row-overlap exact \
  --tokens 64 --beta 2.7182818 >"$tmp/crit.csv"
ok $? "critical sweeps the exact row overlap"
grep -q '^# row-overlap: exact$' "$tmp/crit.csv"; ok $? "critical records row-overlap exact"
"$SP" critical alpha-sa --where rho-final=0.9 --attention-stats finite --tokens 64 \
  --beta 2.7182818 >"$tmp/crit_ind.csv"
a=$(grep -v '^#' "$tmp/crit.csv" | tail -n 1 | cut -d, -f2)
b=$(grep -v '^#' "$tmp/crit_ind.csv" | tail -n 1 | cut -d, -f2)
awk -v a="$a" -v b="$b" 'BEGIN { exit !(a != "" && b != "" && a + 0 != b + 0) }'
ok $? "the exact overlap moves the critical alpha-sa ($a against $b with 1/T)"

"$SP" recommend --attention-stats finite --row-overlap exact --tokens 64 -o "$tmp/rec.json"
ok $? "recommend with the exact row overlap"
grep -q '"row_overlap": "exact"' "$tmp/rec.json"; ok $? "recommend records row_overlap exact"

"$SP" diagram --attention-stats finite --row-overlap exact --tokens 64 --x beta:0.25:4.25:5 \
  --y alpha-sa:0.5:2.5:3 --depth 20 --threads 2 -o "$tmp/d.csv"
ok $? "diagram with the exact row overlap"
row=$(grep -v '^#' "$tmp/d.csv" | awk -F, '$1 == 3.25 && $2 == 1.5')
want=$("$SP" propagate --attention-stats finite --row-overlap exact --tokens 64 --beta 3.25 \
  --alpha-sa 1.5 --depth 20 | grep -v '^#' | tail -n 1 | cut -d, -f4)
got=$(echo "$row" | cut -d, -f3)
awk -v a="$got" -v b="$want" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && d < 1e-9) }'
ok $? "diagram point (3.25, 1.5) = propagate's rho_L ($got, $want)"

echo "1..$n"
[ "$failed" = 0 ]
