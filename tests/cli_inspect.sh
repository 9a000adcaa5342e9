#!/bin/sh
# Command-line tests of `sigprop inspect` and of `--config` as a model
# option: tiny checkpoints and configs written here (python3, no
# downloads), the outputs, and every error path (one line on stderr, exit 2
# or 1, nothing on stdout, no file left behind).  Prints TAP.
# SPDX-License-Identifier: GPL-3.0-or-later
. "$(dirname "$0")/tap.sh"
D=$tmp/d
mkdir -p "$D"

py() { python3 - "$@"; }

# The writer: BERT-like checkpoint (F16), its config, and damaged copies.
cd "$D" || exit 1
py <<'EOF'
import json, random, struct
random.seed(20261207)
def draw(shape, sd):
    n = 1
    for s in shape: n *= s
    return [random.gauss(0, sd) if sd > 0 else -sd - 1 for _ in range(n)]
def pack(tensors, dtype="F16", extra=None):
    fmt = {"F16": "e", "F32": "f"}[dtype]
    hdr, off, blobs = {"__metadata__": {"format": "pt"}}, 0, []
    for name, shape, vals in tensors:
        vals = draw(shape, vals) if not isinstance(vals, list) else vals
        b = struct.pack("<%d%s" % (len(vals), fmt), *vals)
        hdr[name] = {"dtype": dtype, "shape": shape, "data_offsets": [off, off + len(b)]}
        off += len(b); blobs.append(b)
    if extra: extra(hdr)
    h = json.dumps(hdr).encode()
    return struct.pack("<Q", len(h)) + h + b"".join(blobs)
d, ff, V, P = 32, 128, 97, 24
def bert(L):
    t = [("bert.embeddings.word_embeddings.weight", [V, d], 0.02),
         ("bert.embeddings.position_embeddings.weight", [P, d], 0.02),
         ("bert.embeddings.token_type_embeddings.weight", [2, d], 0.02),
         ("bert.embeddings.LayerNorm.weight", [d], -2), ("bert.embeddings.LayerNorm.bias", [d], -1)]
    for l in range(L):
        p = "bert.encoder.layer.%d." % l
        t += [(p + "attention.self.query.weight", [d, d], 0.031), (p + "attention.self.key.weight", [d, d], 0.027),
              (p + "attention.self.value.weight", [d, d], 0.02), (p + "attention.output.dense.weight", [d, d], 0.02),
              (p + "intermediate.dense.weight", [ff, d], 0.02), (p + "output.dense.weight", [d, ff], 0.02)]
    return t
open("model.safetensors", "wb").write(pack(bert(2)))
cfg = {"model_type": "bert", "hidden_size": d, "num_attention_heads": 4, "num_hidden_layers": 2,
       "intermediate_size": ff, "max_position_embeddings": P, "vocab_size": V, "initializer_range": 0.02,
       "type_vocab_size": 2, "hidden_act": "gelu", "is_decoder": False, "layer_norm_eps": 1e-12}
json.dump(cfg, open("config.json", "w"))
json.dump(dict(cfg, num_hidden_layers=3), open("deep.json", "w"))
json.dump(dict(cfg, hidden_size=64), open("wide.json", "w"))
json.dump({"model_type": "t5"}, open("t5.json", "w"))
open("broken.json", "w").write('{"model_type": "bert",\n "hidden_size": 32,,}')
json.dump({"model_type": "gpt2"}, open("gpt2.json", "w"))
# Sharded: blocks in shard 2, the same values as model.safetensors.
random.seed(20261207)
t = [(nm, sh, draw(sh, sd)) for nm, sh, sd in bert(2)]
a, b = t[:5], t[5:]
open("model-00001-of-00002.safetensors", "wb").write(pack(a))
open("model-00002-of-00002.safetensors", "wb").write(pack(b))
wm = {n: "model-00001-of-00002.safetensors" for n, _, _ in a}
wm.update({n: "model-00002-of-00002.safetensors" for n, _, _ in b})
json.dump({"metadata": {}, "weight_map": wm}, open("model.safetensors.index.json", "w"))
json.dump({"weight_map": dict(wm, extra="model-00003-of-00003.safetensors")}, open("gone.index.json", "w"))
json.dump({"weight_map": dict(wm, **{"bert.pooler.dense.weight": "model-00002-of-00002.safetensors"})},
          open("lacks.index.json", "w"))
# Damaged files.
good = open("model.safetensors", "rb").read()
open("five.safetensors", "wb").write(good[:5])
open("cut.safetensors", "wb").write(good[:-100])
open("long.safetensors", "wb").write(struct.pack("<Q", 10**6) + good[8:200])
h = b'{"w": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}'
open("badjson.safetensors", "wb").write(struct.pack("<Q", len(h)) + h + b"\0" * 4)
def hdr(text, data):
    return struct.pack("<Q", len(text)) + text.encode() + b"\0" * data
open("dtype.safetensors", "wb").write(hdr('{"w": {"dtype": "F12", "shape": [2], "data_offsets": [0, 4]}}', 4))
open("overlap.safetensors", "wb").write(hdr('{"u": {"dtype": "F16", "shape": [4], "data_offsets": [0, 8]},'
    ' "v": {"dtype": "F16", "shape": [2], "data_offsets": [6, 10]}}', 16))
open("shape.safetensors", "wb").write(hdr('{"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}', 8))
open("other.safetensors", "wb").write(pack([("encoder.weight", [4, 4], 0.02)]))
def drop(h): del h["bert.encoder.layer.1.attention.self.key.weight"]
open("lacks.safetensors", "wb").write(pack(bert(2), extra=drop))
# A NaN in a block's W_Q, and an embedding table of infinities.
n = struct.unpack("<Q", good[:8])[0]; h = json.loads(good[8:8 + n]); b = bytearray(good)
o = 8 + n + h["bert.encoder.layer.0.attention.self.query.weight"]["data_offsets"][0]
b[o + 6:o + 8] = struct.pack("<e", float("nan"))
open("nan.safetensors", "wb").write(b)
b = bytearray(good)
o = 8 + n + h["bert.embeddings.LayerNorm.weight"]["data_offsets"][0]
b[o:o + 2] = struct.pack("<e", float("inf"))
open("inf.safetensors", "wb").write(b)
EOF
ok $? "tiny checkpoints and configs written"

# ---- inspect: outputs ---------------------------------------------------
"$SP" inspect model.safetensors --config config.json >text.out 2>err.out
ok $? "inspect with config"
grep -q '^checkpoint   model.safetensors: bert' text.out && grep -q '^verdict ' text.out \
  && grep -q '^q/k gradient' text.out && grep -q '^sensitivity' text.out && grep -q '^recommend' text.out
ok $? "report: checkpoint, verdict, q/k gradient, sensitivity, recommendation"
[ ! -s err.out ]; ok $? "nothing on stderr"
"$SP" inspect model.safetensors --config config.json -o blocks.csv -o blocks.json >/dev/null
ok $? "-o csv and json"
py blocks.csv blocks.json <<'EOF'
import json, sys
rows = [l for l in open(sys.argv[1]) if not l.startswith("#")]
head = [l for l in open(sys.argv[1]) if l.startswith("#")]
assert rows[0].startswith("block,std_q,std_k,std_v,std_o,std_ff_in,std_gate,std_ff_out,beta"), rows[0]
assert len(rows) == 3, rows
assert any(l.startswith("# checkpoint: model.safetensors") for l in head)
assert any(l.startswith("# q0: ") for l in head) and any(l.startswith("# rho0: ") for l in head)
d = json.load(open(sys.argv[2]))
assert d["columns"][0] == "block" and len(d["rows"]) == 2
for r in d["rows"]:
    q, k = r[1], r[2]
    assert abs(q / 0.031 - 1) < 0.15 and abs(k / 0.027 - 1) < 0.15, (q, k)  # 4 s.e. for n = 1024 in F16
    assert r[6] is None  # no gate
EOF
ok $? "table: 2 blocks, stds near 0.031 and 0.027 (n = 1024: 4 s.e. = 8.8%, bound 15%), header"
"$SP" inspect model.safetensors --config config.json -o - -o dash.tsv >dash.out
ok $? "-o - with -o FILE.tsv"
head -n 1 dash.out | grep -q '^# sigprop: ' && grep -q '^block,std_q' dash.out && ! grep -q '^verdict' dash.out \
  && grep -q '^block	std_q' dash.tsv
ok $? "-o -: the table on standard output in place of the report; the .tsv alongside"
"$SP" inspect model.safetensors --config config.json --format json >rep.json
ok $? "--format json"
py rep.json <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
for k in ("phase", "beta", "rho0", "q0", "depth", "d_model", "heads", "tokens", "stds", "checkpoint"):
    assert k in d, k
assert d["checkpoint"]["family"] == "bert" and d["checkpoint"]["prefix"] == "bert."
assert d["tokens"] == 24 and d["depth"] == 2 and d["d_model"] == 32
assert abs(d["q0"] - 1) < 1e-6
assert set(d["stds"]) >= {"q", "k", "v", "o", "ff_in", "ff_out", "emb"}
EOF
ok $? "JSON: the shared keys, checkpoint.family bert, T 24, q0 1 after the embedding LayerNorm"
"$SP" inspect model.safetensors >noconf.out
ok $? "inspect without config"
grep -q 'bert (names under' noconf.out && grep -q 'T 24 tokens' noconf.out
ok $? "without config: bert from the names, T 24 from the position table"
"$SP" inspect model.safetensors.index.json --config config.json >shard.out
ok $? "sharded checkpoint through its index"
grep -v 'model.safetensors' shard.out >shard.cut; grep -v 'model.safetensors' text.out >text.cut
cmp -s shard.cut text.cut
ok $? "sharded: the same report as the single file"
"$SP" inspect model.safetensors --tokens 12 --seed 5 -o t12.csv >/dev/null && grep -q '^# tokens: 12' t12.csv \
  && grep -q '^# seed: 5' t12.csv
ok $? "--tokens and --seed recorded"

# ---- inspect: errors -----------------------------------------------------
expect_error 2 "give the checkpoint" inspect
expect_error 2 "unexpected argument" inspect "$D/model.safetensors" "$D/other.safetensors"
expect_error 1 "none.safetensors: cannot open: No such file" inspect "$D/none.safetensors"
expect_error 2 "five.safetensors: truncated: 5 bytes" inspect "$D/five.safetensors"
expect_error 2 "cut.safetensors: tensor 'bert.encoder.layer.1.output.dense.weight': data_offsets" inspect "$D/cut.safetensors"
expect_error 2 "long.safetensors: header length 1000000 (bytes 0-7) goes beyond the end of the file" inspect "$D/long.safetensors"
expect_error 2 "badjson.safetensors: bad header: JSON error at byte" inspect "$D/badjson.safetensors"
expect_error 2 "tensor 'w': unknown dtype 'F12'" inspect "$D/dtype.safetensors"
expect_error 2 "tensor 'v': overlaps tensor 'u'" inspect "$D/overlap.safetensors"
expect_error 2 "tensor 'w': 3 elements of F32 need 12 bytes, data_offsets give 8" inspect "$D/shape.safetensors"
expect_error 2 "no tensor of a known family" inspect "$D/other.safetensors"
expect_error 2 "tensor 'bert.encoder.layer.0.attention.self.query.weight': holds NaN or infinite entries" inspect "$D/nan.safetensors"
expect_error 2 "the measured input is not finite" inspect "$D/inf.safetensors"
expect_error 2 "tensor 'bert.encoder.layer.1.attention.self.key.weight': missing" inspect "$D/lacks.safetensors"
expect_error 2 "tensor 'bert.encoder.layer.2.attention.self.query.weight': missing" inspect "$D/model.safetensors" --config "$D/deep.json"
expect_error 2 "differs from the config's width 64" inspect "$D/model.safetensors" --config "$D/wide.json"
expect_error 2 "not a gpt2 checkpoint" inspect "$D/model.safetensors" --config "$D/gpt2.json"
expect_error 2 "T = 30 tokens does not fit (2 to 24, the position table's rows)" inspect "$D/model.safetensors" --tokens 30
expect_error 2 "--tokens: 1 is outside" inspect "$D/model.safetensors" --tokens 1
expect_error 1 "model-00003-of-00003.safetensors: cannot open: No such file" inspect "$D/gone.index.json"
expect_error 2 "tensor 'bert.pooler.dense.weight': listed in the index but missing" inspect "$D/lacks.index.json"
expect_error 1 "nothing.json: cannot read: No such file" inspect "$D/model.safetensors" --config "$D/nothing.json"
expect_error 2 "broken.json:2:" inspect "$D/model.safetensors" --config "$D/broken.json"
expect_error 2 "model_type: 't5' is not a supported family (supported: bert, roberta, electra, gpt2, llama, mistral, qwen2, vit, gpt_neox)" inspect "$D/model.safetensors" --config "$D/t5.json"
expect_error 2 "--format" inspect "$D/model.safetensors" --format yaml
expect_error 2 ".csv, .tsv or .json" inspect "$D/model.safetensors" -o x.png
expect_error 1 "nodir/b.csv" inspect "$D/model.safetensors" -o b.csv -o nodir/b.csv
# (tap.sh's expect_error runs in an empty folder and fails when a file is left.)
if [ -w /dev/full ]; then
  "$SP" inspect model.safetensors --format json >/dev/full 2>full.err
  [ $? = 1 ] && [ "$(wc -l <full.err)" = 1 ] && grep -q '^sigprop: standard output: ' full.err
  ok $? "a full standard output: exit 1, one line ($(cat full.err))"
fi

# ---- --config as a model option -------------------------------------------
"$SP" recommend --config config.json >rec.out
ok $? "recommend --config"
"$SP" propagate --config gpt2.json --depth 3 >g.csv
ok $? "propagate --config (nothing but model_type) --depth 3"
grep -q '^# config: gpt2.json (gpt2)' g.csv && grep -q '^# n_embd: 768 (assumed' g.csv \
  && grep -q '^# n_inner: 3072 (assumed' g.csv && grep -q '^# depth: 3$' g.csv
ok $? "header: the config, each assumed field, --depth given later wins"
"$SP" propagate --tokens 99 --config config.json >h.csv && grep -q '^# tokens: 24$' h.csv
ok $? "--tokens before --config is overridden by it"
"$SP" propagate --config config.json --tokens 99 >h.csv && grep -q '^# tokens: 99$' h.csv
ok $? "--tokens after --config overrides it"
"$SP" recommend --config gpt2.json >g.txt && grep -q '^model        config gpt2.json: pre-LN decoder' g.txt \
  && grep -q 'the file lacks (the gpt2 defaults taken): n_embd = 768, n_head = 12, n_layer = 12, n_inner = 3072' g.txt
ok $? "recommend --config: the source line and the fields the file lacks"
"$SP" recommend --config gpt2.json -o g.json && py g.json <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))["source"]
assert s["kind"] == "config" and s["name"] == "gpt2.json" and s["family"] == "gpt2", s
a = s["assumed_fields"]
assert a["n_inner"] == 3072 and a["n_embd"] == 768 and a["activation_function"] == "gelu", a
assert a["initializer_range"] == 0.02 and "vocab_size" in a, a
EOF
ok $? "recommend --config JSON: source.family and source.assumed_fields (integers as integers)"
expect_error 1 "--config: .*/nothing.json: cannot read" propagate --config "$D/nothing.json"
expect_error 2 "--config: .*/t5.json: model_type: 't5' is not a supported family" recommend --config "$D/t5.json"
expect_error 2 "--config: .*/broken.json:2:" propagate --config "$D/broken.json"

tap_done
