#!/usr/bin/env bash
# Command-line tests of presets (`--preset`, `sigprop presets`; recommend is
# in cli_recommend.sh): outputs, the order rule, user preset files, and every
# error path (one line on stderr, exit 2 or 1, no file left behind).
# Prints TAP.  $SIGPROP is the program under test; the shipped preset files
# are found from $SIGPROP_TEST_DATA (tests/data) as ../../data/presets.
# SPDX-License-Identifier: GPL-3.0-or-later
. "$(dirname "$0")/tap.sh"
PRESETS=${SIGPROP_TEST_DATA:?}/../../data/presets

# py SCRIPT ARGS...: run a python check, exit status is the verdict.  The
# interpreter is resolved once (a version manager's shim can be slow).
PYTHON=$(python3 -c 'import sys; print(sys.executable)')
py() { "$PYTHON" -c "$@"; }

# --- sigprop presets -------------------------------------------------------------
"$SP" presets >"$tmp/list" 2>"$tmp/err"; ok $? "presets lists"
for p in bert-base bert-large gpt2-small gpt2-medium vit-b16 llama-7b gg-bert; do
  grep -q "^$p " "$tmp/list"; ok $? "presets lists $p"
done
grep -q '^bert-base .* 0\.123 ' "$tmp/list"; ok $? "bert-base shows beta 0.123"
[ "$(wc -l <"$tmp/list")" = 8 ]; ok $? "header and seven rows"
[ ! -s "$tmp/err" ]; ok $? "quiet on stderr"
! grep -q ' $' "$tmp/list"; ok $? "no trailing blanks"
"$SP" presets -o "$tmp/p.csv"; ok $? "presets -o CSV"
py "
import csv, math, sys
rows = [r for r in csv.DictReader(l for l in open(sys.argv[1]) if not l.startswith('#'))]
b = {r['name']: r for r in rows}
assert len(rows) == 7, len(rows)
assert abs(float(b['bert-base']['beta']) - 768*0.02**2/math.sqrt(math.log(512))) < 1e-15
assert abs(float(b['gpt2-small']['branch-sa']) - 1/math.sqrt(24)) < 1e-15
assert b['vit-b16']['q0'] == '' and b['gpt2-small']['q0'] == '0.0008'
assert b['gg-bert']['std-o'] == '' and b['gg-bert']['output-projection'] == 'no'
" "$tmp/p.csv"; ok $? "CSV: beta, branch gain, empty cells where undefined"
"$SP" presets -o "$tmp/p.json"; ok $? "presets -o JSON"
py "
import json, sys
d = json.load(open(sys.argv[1]))
c = d['columns']
assert len(d['rows']) == 7 and 'var-w-out' in c and 'source' in c
r = dict(zip(c, d['rows'][0]))
assert r['name'] == 'bert-base' and r['d-model'] == 768 and r['heads'] == 12
" "$tmp/p.json"; ok $? "JSON rows and columns"
"$SP" presets -o - | grep -q '^# sigprop: '; ok $? "'-o -' writes CSV with metadata on stdout"
"$SP" presets --show bert-base >"$tmp/bert.preset"; ok $? "presets --show"
cmp -s "$tmp/bert.preset" "$PRESETS/bert-base.preset"; ok $? "--show prints the shipped file"
"$SP" presets --help | grep -q -- '--show'; ok $? "presets --help"

# --- --preset in the other commands ------------------------------------------
"$SP" propagate --preset gg-bert >"$tmp/gg.csv"; ok $? "propagate --preset gg-bert"
"$SP" propagate >"$tmp/def.csv"
cmp -s <(grep -v '^#' "$tmp/gg.csv") <(grep -v '^#' "$tmp/def.csv"); ok $? "gg-bert is sigprop's defaults"
grep -q '^# preset: gg-bert$' "$tmp/gg.csv"; ok $? "the preset is recorded"
rows=$("$SP" propagate --preset bert-base --activation relu --depth 3 | grep -vc '^#')
[ "$rows" = 5 ]; ok $? "later --depth overrides the preset (got $((rows - 2)) blocks)"
rows=$("$SP" propagate --depth 3 --preset bert-base --activation relu | grep -vc '^#')
[ "$rows" = 14 ]; ok $? "the preset overrides an earlier --depth (got $((rows - 2)) blocks)"
"$SP" propagate --preset bert-base --activation relu --depth 2 | grep -q '^# beta: 0.12299493465973244$'
ok $? "propagate records bert-base's beta"
cp "$tmp/bert.preset" "$tmp/mine.preset"
cmp -s <("$SP" propagate --preset "$tmp/mine.preset" --activation relu | grep -v '^# \(command\|preset\)') \
       <("$SP" propagate --preset bert-base --activation relu | grep -v '^# \(command\|preset\)')
ok $? "a copied preset file gives the built-in's numbers"
(cd "$tmp" && "$SP" propagate --preset mine.preset --activation relu --depth 1 >/dev/null); ok $? "a .preset name in the current folder"
"$SP" propagate --preset gpt2-small --activation relu --no-causal --depth 2 | grep -q '^# causal: no$'
ok $? "--no-causal turns a decoder preset into an encoder"
v=$("$SP" critical alpha-sa --where rho-final=0.9 --preset bert-base --activation relu --depth 24 | tail -n 1)
py "import sys; sys.exit(0 if 0 < float('$v') < 100 else 1)"; ok $? "critical with --preset ($v)"
# GELU presets propagate once the activation lands; until then the refusal is clean.
"$SP" propagate --preset bert-base >/dev/null 2>"$tmp/err"; st=$?
if [ $st = 0 ]; then ok 0 "propagate --preset bert-base (GELU available)"
else [ $st = 1 ] && grep -q '^sigprop: --activation gelu: .*not yet available' "$tmp/err"
  ok $? "propagate --preset bert-base: GELU refused cleanly until its kernel lands"; fi

# --- errors -----------------------------------------------------------------------
printf 'name = x\nd-model = 64\nd-model = 65\n' >"$tmp/dup.preset"
expect_error 2 "dup.preset:3: d-model: duplicate key" propagate --preset "$tmp/dup.preset"
printf 'name = x\nwidth = 64\n' >"$tmp/unk.preset"
sed 's/^std-q = 0.02$/std-q = 0.02abc/' "$PRESETS/bert-base.preset" >"$tmp/num.preset"
expect_error 2 "num.preset:[0-9]*: std-q: '0.02abc' is not a finite decimal" propagate --preset "$tmp/num.preset"
sed 's/^std-q = 0.02$/std-q = nan/' "$PRESETS/bert-base.preset" >"$tmp/nan.preset"
expect_error 2 "std-q: 'nan' is not a finite decimal" critical alpha-sa --where rho-final=0.9 --preset "$tmp/nan.preset"
grep -v '^depth' "$PRESETS/bert-base.preset" >"$tmp/nodepth.preset"
expect_error 2 "nodepth.preset: depth: missing (required)" propagate --preset "$tmp/nodepth.preset"
: >"$tmp/empty.preset"
expect_error 2 "empty.preset: empty preset" propagate --preset "$tmp/empty.preset"
printf '\x00\x01binary' >"$tmp/bin.preset"
expect_error 2 "bin.preset:1: NUL byte" propagate --preset "$tmp/bin.preset"
printf 'garbage here\n' >"$tmp/garbage.preset"
expect_error 2 "garbage.preset:1: expected 'key = value'" propagate --preset "$tmp/garbage.preset"
expect_error 1 "none.preset: cannot read: No such file" propagate --preset "$tmp/none.preset"
expect_error 1 "cannot read: Is a directory" propagate --preset "$tmp/"
if [ "$(id -u)" != 0 ]; then
  cp "$tmp/mine.preset" "$tmp/locked.preset" && chmod 000 "$tmp/locked.preset"
  expect_error 1 "locked.preset: cannot read: Permission denied" propagate --preset "$tmp/locked.preset"
fi
expect_error 2 "no such built-in preset (built in: bert-base" propagate --preset bart-base
expect_error 2 "needs a value" propagate --preset
expect_error 2 "--no-causal takes no value" propagate --no-causal=1
expect_error 2 "unknown option" presets --frobnicate
expect_error 2 "unexpected argument" presets bert-base
expect_error 2 "'nosuch' is not a built-in preset" presets --show nosuch
expect_error 2 "exclude each other" presets --show bert-base -o "$tmp/x.csv"
expect_error 2 ".csv, .tsv or .json" presets -o "$tmp/x.txt"
expect_error 1 "cannot write" presets -o "$tmp/no/such/dir/p.csv"
"$SP" --help | grep -q 'presets'; ok $? "sigprop --help lists presets"

# --- no partial files -------------------------------------------------------------
"$SP" propagate --preset "$tmp/dup.preset" -o "$tmp/out.csv" 2>/dev/null
[ ! -e "$tmp/out.csv" ]; ok $? "no output file after a bad preset"
"$SP" presets -o "$tmp/no/such/dir/p.csv" 2>/dev/null
[ -z "$(ls -a "$tmp" | grep '\.tmp')" ]; ok $? "no temporary files left"

tap_done
