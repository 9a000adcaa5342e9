#!/bin/sh
# sigprop recommend as a practitioner uses it: framework stds in, the
# verdict with its assumptions, sensitivity, a complete std table and flags
# out, as text and as JSON (one schema, sigprop-recommend(1)); every error of
# the std and width options.  Prints TAP.
# SPDX-License-Identifier: GPL-3.0-or-later
. "$(dirname "$0")/tap.sh"

PYTHON=$(command -v python3)
py() { "$PYTHON" -c "$@"; }

# --- BERT-base: the acceptance ------------------------------------------------------
"$SP" recommend --preset bert-base >"$tmp/bert.txt" 2>"$tmp/err"; ok $? "recommend --preset bert-base"
[ ! -s "$tmp/err" ]; ok $? "quiet on stderr"
rows=0
for w in W_Q W_K W_V W_O W_1 W_2 emb; do
  grep -qE "^ +$w +0\.02 +0\.02\$" "$tmp/bert.txt" && rows=$((rows + 1))
done
[ "$rows" = 7 ]; ok $? "the std table lists all seven stds (0.02 each): $rows"
grep -qE '^stds +W_Q 0\.02, W_K 0\.02, W_V 0\.02, W_O 0\.02, W_1 0\.02, W_2 0\.02, emb 0\.02$' "$tmp/bert.txt"
ok $? "the header lists the seven stds as given"
grep -qE '^derived +beta 0\.123, var-v 0\.09437, var-w-in 0\.3072, var-w-out 1\.229, var-b 0$' "$tmp/bert.txt"
ok $? "and the beta, sigma^2 they give"
grep -qE '^sensitivity +rho0: rank collapse from rho0 = 0\.7[0-9]*;' "$tmp/bert.txt"
ok $? "rho0 sensitivity: $(grep '^sensitivity' "$tmp/bert.txt")"
grep -qE '^ +depth: rank collapse from L = [0-9]+;' "$tmp/bert.txt"; ok $? "depth sensitivity"
g=$(sed -n 's/^q\/k gradient \([0-9.e+-]*\) at T 512, d 768:.*/\1/p' "$tmp/bert.txt")
py "import sys; sys.exit(0 if float('$g') > 0 else 1)" 2>/dev/null; ok $? "q/k gradient $g > 0 at T 512, d 768"
grep -qE '^assumptions +rho0 0\.025\*, q0 1, T 512, finite T statistics\*, encoder, L 12 +\(\*: assumed\)$' "$tmp/bert.txt"
ok $? "assumptions: rho0 and the statistics assumed, the rest from the preset"
grep -A1 '^assumptions' "$tmp/bert.txt" | grep -qE '^ +row overlap exact\* \(rows share keys, theory.md section 14\)$'
ok $? "finite T statistics: the exact row overlap, assumed"
grep -qE '^flags +none$' "$tmp/bert.txt"; ok $? "no flags"
[ "$(wc -L <"$tmp/bert.txt")" -le 100 ]; ok $? "lines fit 100 columns"
# Order of the sections.
order=$(grep -oE '^(model|stds|derived|assumptions|verdict|sensitivity|recommend|safe beta|margin|alternative|flags?) ' "$tmp/bert.txt" | tr -s ' \n' ' ')
[ "$order" = "model stds derived assumptions verdict sensitivity recommend safe beta margin alternative flags " ]
ok $? "sections in order: $order"
"$SP" recommend --preset bert-base --rho0 0.0371 --attention-stats finite --row-overlap independent >"$tmp/given.txt"
grep -qE '^assumptions +rho0 0\.0371, q0 1, T 512, finite T statistics, encoder, L 12$' "$tmp/given.txt" \
  && grep -qE '^ +row overlap 1/T \(independent rows\)$' "$tmp/given.txt"
ok $? "given rho0, statistics and row overlap are not starred"
"$SP" recommend --preset gpt2-small >"$tmp/gpt2.txt" \
  && grep -qE '^ +row overlap exact\* \(rows share keys, theory.md section 14\)$' "$tmp/gpt2.txt" \
  && grep -qE '^margin +20% below the critical branch gain 1\.132:' "$tmp/gpt2.txt"
ok $? "causal rows: the exact row overlap (tabulated), assumed; critical branch gain 1.132"
"$SP" recommend --preset gpt2-small --tokens 4097 >"$tmp/gpt2long.txt" \
  && grep -qE '^ +row overlap 1/T\* \(independent rows\)$' "$tmp/gpt2long.txt"
ok $? "causal rows beyond T = 4096 (no causal quadrature): 1/T"

# The same network from its Hugging Face config (bert-base-uncased's values).
printf '%s\n' '{"model_type": "bert", "hidden_size": 768, "num_attention_heads": 12,' \
  '"num_hidden_layers": 12, "intermediate_size": 3072, "hidden_act": "gelu",' \
  '"initializer_range": 0.02, "max_position_embeddings": 512, "type_vocab_size": 2,' \
  '"vocab_size": 30522, "layer_norm_eps": 1e-12}' >"$tmp/config.json"
"$SP" recommend --config "$tmp/config.json" >"$tmp/cfg.txt" 2>"$tmp/err"
grep -v '^model' "$tmp/bert.txt" >"$tmp/a"
grep -v '^model' "$tmp/cfg.txt" >"$tmp/b"
grep -q "^model  *config $tmp/config.json: post-LN encoder" "$tmp/cfg.txt" && cmp -s "$tmp/a" "$tmp/b"
ok $? "recommend --config config.json: the same report as the bert-base preset, source config"
printf '%s\n' '{"model_type": "llama", "hidden_size": 4096, "intermediate_size": 11008,' \
  '"num_attention_heads": 32, "num_hidden_layers": 32, "max_position_embeddings": 2048,' \
  '"hidden_act": "silu", "initializer_range": 0.02, "rms_norm_eps": 1e-6}' >"$tmp/llama.json"
"$SP" recommend --config "$tmp/llama.json" | grep -qE '^ +W_gate +0\.02 +0\.02$'
ok $? "a gated MLP (llama) gets its W_gate row"

# --- the pre-LN example of the issue ----------------------------------------------
"$SP" recommend --norm pre --beta 2 --depth 200 --d-model 1024 --heads 16 -o - >"$tmp/pre.json"
ok $? "pre-LN example, JSON"
py "
import json, sys
d = json.load(open(sys.argv[1]))
for r in (d['recommendation'], d['recommendation']['alternative']):
    assert r['phase'] != 'trainable' or r['q_final'] <= 65504, r
a = d['recommendation']['alternative']
assert a['form'] == 'code-change' and a['q_final'] < 1e5 and a['margin_squeezed'] is True
assert a['gain_overflow'] < 1.2 * a['gain_critical']
" "$tmp/pre.json"; ok $? "no trainable point with q_L beyond 65504; the skip gain stays below the overflow gain"
"$SP" recommend --norm pre --beta 2 --depth 200 --d-model 1024 --heads 16 --alpha-sa 1.2029 --alpha-mlp 1.2029 --beta 1.19 >"$tmp/old.txt"
grep -qE '^verdict +stream overflow' "$tmp/old.txt"; ok $? "the old recommended point (alpha 1.2029, beta 1.19): stream overflow"
grep -qE '^flag 1 +given: q_L [0-9.e+]+ beyond float16' "$tmp/old.txt" && grep -qE '^flag 2 +given: q_L .* beyond bfloat16' "$tmp/old.txt"
ok $? "flags 1 and 2: beyond float16 and bfloat16"
"$SP" recommend --norm none --alpha-sa 40 --depth 500 --init-std 0.02 --d-model 512 --d-ff 2048 >"$tmp/ov.txt" 2>&1
grep -qE '^flag 3 +given: the iteration overflows at block [0-9]+$' "$tmp/ov.txt"
ok $? "no-LN alpha 40: flag 3, the iteration overflows"

# --- statistics, tokens null, the JSON schema ---------------------------------------
"$SP" recommend --preset bert-base -o - >"$tmp/bert.json"
py "
import json, numbers, sys
d = json.load(open(sys.argv[1]))
top = ['phase', 'beta', 'rho0', 'q0', 'depth', 'd_model', 'heads', 'tokens', 'stds']
assert list(d)[:9] == top, list(d)[:9]
keys = ['q', 'k', 'v', 'o', 'ff_in', 'ff_out', 'emb']
assert list(d['stds']) == keys and list(d['recommendation']['stds']) == keys
assert all(d['stds'][k] == 0.02 for k in keys)
assert d['tokens'] == 512 and d['d_model'] == 768 and d['heads'] == 12
assert d['model']['attention_stats'] == 'finite' and 'rho0' in d['assumed']
assert d['model']['row_overlap'] == 'exact' and 'row_overlap' in d['assumed']
assert d['first_block']['qk_gradient_width'] > 0 and d['sensitivity']['rho0_up'] > 0.025
assert d['recommendation']['form'] == 'initialisation' and d['flags'] == []
def walk(x):
    if isinstance(x, dict):
        for v in x.values(): walk(v)
    elif isinstance(x, list):
        for v in x: walk(v)
    elif isinstance(x, str):
        try: float(x)
        except ValueError: return
        raise AssertionError('a number as a string: ' + x)
walk(d)
" "$tmp/bert.json"; ok $? "JSON: the top-level keys, stds objects, numbers as numbers"
"$SP" recommend --preset bert-base --attention-stats asymptotic -o - | py "
import json, sys
d = json.load(sys.stdin)
assert d['tokens'] is None and d['model']['tokens'] == 512 and d['model']['attention_stats'] == 'asymptotic'
assert d['first_block']['qk_gradient'] == 0 and 'attention_stats' not in d['assumed']
"; ok $? "--attention-stats asymptotic: tokens null (T -> infinity), the T -> infinity gradient"

# --- the std options --------------------------------------------------------------
"$SP" recommend --init-std 0.0213 --d-model 837 --heads 9 --d-ff 3011 --tokens 419 --std-o 0.0166 -o - | py "
import json, math, sys
d = json.load(sys.stdin)
s = d['stds']
assert s['q'] == s['k'] == s['v'] == s['ff_in'] == s['ff_out'] == s['emb'] == 0.0213 and s['o'] == 0.0166
m = d['model']
assert abs(m['beta'] - 837 * 0.0213**2 / math.sqrt(math.log(419))) < 1e-14
assert abs(m['var_v'] - 837 * 0.0213**2 * 837 * 0.0166**2) < 1e-14
assert abs(m['var_w_out'] - 3011 * 0.0213**2) < 1e-13 and m['q0'] == 1
assert d['source']['kind'] == 'options' and d['source']['d_ff'] == 3011
"; ok $? "--init-std with --std-o, widths and T: the conversion of theory.md §11"
a=$("$SP" propagate --depth 1 --std-q 0.031 --std-k 0.017 --d-model 333 --tokens 97 | sed -n 's/^# beta: //p')
b=$("$SP" propagate --depth 1 --tokens 97 --d-model 333 --std-k 0.017 --std-q 0.031 | sed -n 's/^# beta: //p')
c=$("$SP" propagate --depth 1 --std-q 0.031 --std-k 0.017 --d-model 333 --tokens 97 --beta 0.77 | sed -n 's/^# beta: //p')
[ -n "$a" ] && [ "$a" = "$b" ] && [ "$c" = 0.77 ]; ok $? "the order of stds, widths and T does not matter ($a = $b); a later --beta wins ($c)"
"$SP" propagate --depth 1 --init-std 0.02 --d-model 768 --d-ff 3072 | grep -q '^# std-ff-out: 0.02$'
ok $? "the stds are in every command's metadata"
"$SP" recommend --std-emb 0.05 -o - | py "
import json, sys; d = json.load(sys.stdin); assert abs(d['q0'] - 0.0025) < 1e-16 and 'q0' not in d['assumed']"
ok $? "--std-emb sets q0 = std^2"

# --- the solvers behind it ----------------------------------------------------------
# theory.md §7 closed form for the smallest skip gain of an attention-only stack.
"$SP" recommend --mlp none --var-vb 0 --rho0 0.1 --depth 60 --gain alpha-sa \
  --attention-stats asymptotic -o - | py "
import json, sys
d = json.load(sys.stdin)
r = d['recommendation']
f = r if r['gain'] == 'alpha-sa' else r['alternative']
u0 = 0.9 / 0.1; um = 0.1 / 0.9
want = (0.2 / ((u0 / um) ** (1 / 60) - 1)) ** 0.5
assert f['gain'] == 'alpha-sa' and abs(f['gain_critical'] - want) < 1e-9, (f['gain_critical'], want)
assert abs(f['gain_value'] - 1.2 * want) < 1e-9 and f['phase'] == 'trainable'
"; ok $? "critical alpha-sa = the closed form of theory.md §7, recommended 1.2 times it"
"$SP" recommend --preset gg-bert --beta 3 --attention-stats asymptotic -o - | py "
import json, math, sys
d = json.load(sys.stdin)
bc = math.sqrt(2 / (1 - 0.025))
r = d['recommendation']
assert d['phase'] == 'entropy-collapse' and abs(r['beta'] - bc / 1.2) < 1e-9
assert d['first_block']['qk_gradient'] > 0 and r['stds']['o'] is None
assert abs(r['stds']['q'] - math.sqrt(bc / 1.2 * math.sqrt(math.log(512)) / 720)) < 1e-12
"; ok $? "entropy collapse: beta brought to beta_c/(1+M), W_Q and W_K follow (no W_O)"
"$SP" recommend --preset gpt2-small --activation relu --no-causal --depth 96 -o - | py "
import json, sys
d = json.load(sys.stdin)
r = d['recommendation']
assert r['form'] == 'initialisation' and r['gain'] == 'branch'
g = r['gain_critical']
assert 0 < g < 1 and abs(r['branch_sa'] - min(24**-0.5, g / 1.2)) < 1e-12
assert abs(r['stds']['o'] - 0.02 * r['branch_sa']) < 1e-15
assert abs(r['stds']['ff_out'] - 0.02 * r['branch_mlp']) < 1e-15
assert r['alternative']['form'] == 'code-change' and r['alternative']['gain'] == 'alpha'
"; ok $? "gpt2-small at L = 96: branch gain folded into W_O and W_2; a skip gain the alternative"
"$SP" recommend --preset bert-base --alpha-sa 0.31 --alpha-mlp 0.31 --depth 24 -o - | py "
import json, sys
d = json.load(sys.stdin)
r = d['recommendation']
assert d['phase'] == 'rank-collapse' and r['form'] == 'initialisation' and r['phase'] == 'trainable'
assert r['skip_sa'] == 1 and abs(r['stds']['o'] - 0.02 * r['branch_sa'] / 0.31) < 1e-15
"; ok $? "post-LN skip gain 0.31 folded into W_O, W_2 (LN removes the scale): no code change"
"$SP" recommend --d-model 1024 -o - | py "
import json, math, sys
d = json.load(sys.stdin)
s = d['stds']
assert d['source']['kind'] == 'options' and d['d_model'] == 1024
assert abs(s['q'] - math.sqrt(0.5 * math.sqrt(math.log(512)) / 1024)) < 1e-15
assert abs(s['v'] - 0.2 ** 0.25 / 32) < 1e-15 and s['ff_out'] is None and s['emb'] is None
"; ok $? "--d-model alone: the stds that realise the model, W_2 and embeddings unknown"
"$SP" recommend -o - | py "
import json, sys
d = json.load(sys.stdin)
assert d['d_model'] is None and all(v is None for v in d['stds'].values())
assert all(v is None for v in d['recommendation']['stds'].values())
"; ok $? "no width: no stds"
"$SP" recommend --help | grep -q -- '--margin'; ok $? "recommend --help"

# --- -o ------------------------------------------------------------------------------
"$SP" recommend --preset bert-base -o "$tmp/r.json" >"$tmp/stdout" 2>"$tmp/err"
st=$?
grep -v '"command"' "$tmp/bert.json" >"$tmp/a"
grep -v '"command"' "$tmp/r.json" >"$tmp/b"
[ $st = 0 ] && [ ! -s "$tmp/stdout" ] && [ ! -s "$tmp/err" ] && cmp -s "$tmp/a" "$tmp/b"
ok $? "-o FILE.json writes the same JSON as -o -, nothing on standard output"
"$SP" recommend --preset bert-base --format json >"$tmp/old.json" 2>"$tmp/err"
grep -v '"command"' "$tmp/old.json" >"$tmp/b"
cmp -s "$tmp/a" "$tmp/b" && grep -q '^sigprop: note: recommend: --format is deprecated' "$tmp/err"
ok $? "the old --format json: the same JSON and a one-line note"

# --- errors -------------------------------------------------------------------------
expect_error 2 "written as .json" recommend -o "$tmp/r.csv"
expect_error 1 "cannot write" recommend -o "$tmp/no/such/dir/r.json"
expect_error 2 "std-q: give --std-k too" recommend --std-q 0.02 --d-model 64
expect_error 2 "std-o: give --std-v too" recommend --std-o 0.02 --d-model 64
expect_error 2 "the stds need --d-model" recommend --init-std 0.02
expect_error 2 "std-ff-out: needs --d-ff" recommend --std-ff-out 0.02 --d-model 64
expect_error 2 "3 heads do not divide d-model = 100" recommend --d-model 100 --heads 3
expect_error 2 "std-q: -0.01 is outside \[0, 1000\]" recommend --std-q -0.01
expect_error 2 "std-k: 'x1' is not a number" recommend --std-k x1
expect_error 2 "init-std: .nan. is not a finite number" recommend --init-std nan
expect_error 2 "d-model: 0 is outside \[1, 1e9\]" recommend --d-model 0
expect_error 2 "heads: '1.5' is not a whole number" recommend --heads 1.5
expect_error 2 "option --d-ff needs a value" recommend --d-ff
expect_error 2 "std-q: gives a model parameter outside its domain" recommend --std-q 900 --std-k 900 --d-model 100000
expect_error 2 "std-v: gives a model parameter outside its domain" recommend --std-v 30 --std-o 30 --d-model 100000
expect_error 2 "attention-stats: 'exact' is not one of asymptotic, finite" recommend --attention-stats exact
expect_error 2 "not one of text, json" recommend --format xml
expect_error 2 "outside \[0, 10\]" recommend --margin -1
expect_error 2 "outside (0, 1)" recommend --rho-max 1
expect_error 2 "not one of alpha" recommend --gain up
expect_error 2 "unknown option" recommend --std-x 0.02
expect_error 2 "unexpected argument" recommend extra
expect_error 2 "outside the domain" recommend --preset bert-base --depth 0

tap_done
