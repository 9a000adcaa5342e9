/* Hugging Face config.json: one config per family with the field names and
 * values of the published base model, the model each gives (theory.md §11,
 * worked by hand in the comments), assumed fields, and every error path.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "tap.h"

#include "sigprop/config.h"
#include "sigprop/status.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* bert-base-uncased/config.json */
static const char bert_base[] =
  "{\"architectures\": [\"BertForMaskedLM\"], \"attention_probs_dropout_prob\": 0.1,\n"
  " \"gradient_checkpointing\": false, \"hidden_act\": \"gelu\", \"hidden_dropout_prob\": 0.1,\n"
  " \"hidden_size\": 768, \"initializer_range\": 0.02, \"intermediate_size\": 3072,\n"
  " \"layer_norm_eps\": 1e-12, \"max_position_embeddings\": 512, \"model_type\": \"bert\",\n"
  " \"num_attention_heads\": 12, \"num_hidden_layers\": 12, \"pad_token_id\": 0,\n"
  " \"position_embedding_type\": \"absolute\", \"transformers_version\": \"4.6.0.dev0\",\n"
  " \"type_vocab_size\": 2, \"use_cache\": true, \"vocab_size\": 30522}\n";

/* roberta-base/config.json */
static const char roberta_base[] =
  "{\"architectures\": [\"RobertaForMaskedLM\"], \"attention_probs_dropout_prob\": 0.1,\n"
  " \"bos_token_id\": 0, \"eos_token_id\": 2, \"hidden_act\": \"gelu\",\n"
  " \"hidden_dropout_prob\": 0.1, \"hidden_size\": 768, \"initializer_range\": 0.02,\n"
  " \"intermediate_size\": 3072, \"layer_norm_eps\": 1e-05, \"max_position_embeddings\": 514,\n"
  " \"model_type\": \"roberta\", \"num_attention_heads\": 12, \"num_hidden_layers\": 12,\n"
  " \"pad_token_id\": 1, \"type_vocab_size\": 1, \"vocab_size\": 50265}";

/* google/electra-small-discriminator/config.json */
static const char electra_small[] =
  "{\"architectures\": [\"ElectraForPreTraining\"], \"attention_probs_dropout_prob\": 0.1,\n"
  " \"embedding_size\": 128, \"hidden_act\": \"gelu\", \"hidden_dropout_prob\": 0.1,\n"
  " \"hidden_size\": 256, \"initializer_range\": 0.02, \"intermediate_size\": 1024,\n"
  " \"layer_norm_eps\": 1e-12, \"max_position_embeddings\": 512, \"model_type\": \"electra\",\n"
  " \"num_attention_heads\": 4, \"num_hidden_layers\": 12, \"pad_token_id\": 0,\n"
  " \"type_vocab_size\": 2, \"vocab_size\": 30522}";

/* gpt2/config.json (no n_inner: 4 n_embd is assumed) */
static const char gpt2[] =
  "{\"activation_function\": \"gelu_new\", \"architectures\": [\"GPT2LMHeadModel\"],\n"
  " \"attn_pdrop\": 0.1, \"bos_token_id\": 50256, \"embd_pdrop\": 0.1, \"eos_token_id\": 50256,\n"
  " \"initializer_range\": 0.02, \"layer_norm_epsilon\": 1e-05, \"model_type\": \"gpt2\",\n"
  " \"n_ctx\": 1024, \"n_embd\": 768, \"n_head\": 12, \"n_layer\": 12, \"n_positions\": 1024,\n"
  " \"resid_pdrop\": 0.1, \"summary_activation\": null, \"summary_first_dropout\": 0.1,\n"
  " \"summary_proj_to_labels\": true, \"summary_type\": \"cls_index\", \"summary_use_proj\": true,\n"
  " \"task_specific_params\": {\"text-generation\": {\"do_sample\": true, \"max_length\": 50}},\n"
  " \"vocab_size\": 50257}";

/* meta-llama/Llama-2-7b-hf/config.json */
static const char llama2_7b[] =
  "{\"architectures\": [\"LlamaForCausalLM\"], \"bos_token_id\": 1, \"eos_token_id\": 2,\n"
  " \"hidden_act\": \"silu\", \"hidden_size\": 4096, \"initializer_range\": 0.02,\n"
  " \"intermediate_size\": 11008, \"max_position_embeddings\": 4096, \"model_type\": \"llama\",\n"
  " \"num_attention_heads\": 32, \"num_hidden_layers\": 32, \"num_key_value_heads\": 32,\n"
  " \"pretraining_tp\": 1, \"rms_norm_eps\": 1e-05, \"rope_scaling\": null,\n"
  " \"tie_word_embeddings\": false, \"torch_dtype\": \"float16\", \"use_cache\": true,\n"
  " \"vocab_size\": 32000}";

/* mistralai/Mistral-7B-v0.1/config.json */
static const char mistral_7b[] =
  "{\"architectures\": [\"MistralForCausalLM\"], \"bos_token_id\": 1, \"eos_token_id\": 2,\n"
  " \"hidden_act\": \"silu\", \"hidden_size\": 4096, \"initializer_range\": 0.02,\n"
  " \"intermediate_size\": 14336, \"max_position_embeddings\": 32768, \"model_type\": \"mistral\",\n"
  " \"num_attention_heads\": 32, \"num_hidden_layers\": 32, \"num_key_value_heads\": 8,\n"
  " \"rms_norm_eps\": 1e-05, \"rope_theta\": 10000.0, \"sliding_window\": 4096,\n"
  " \"tie_word_embeddings\": false, \"torch_dtype\": \"bfloat16\", \"use_cache\": true,\n"
  " \"vocab_size\": 32000}";

/* Qwen/Qwen2-7B/config.json */
static const char qwen2_7b[] =
  "{\"architectures\": [\"Qwen2ForCausalLM\"], \"attention_dropout\": 0.0,\n"
  " \"bos_token_id\": 151643, \"eos_token_id\": 151643, \"hidden_act\": \"silu\",\n"
  " \"hidden_size\": 3584, \"initializer_range\": 0.02, \"intermediate_size\": 18944,\n"
  " \"max_position_embeddings\": 131072, \"max_window_layers\": 28, \"model_type\": \"qwen2\",\n"
  " \"num_attention_heads\": 28, \"num_hidden_layers\": 28, \"num_key_value_heads\": 4,\n"
  " \"rms_norm_eps\": 1e-06, \"rope_theta\": 1000000.0, \"sliding_window\": 131072,\n"
  " \"tie_word_embeddings\": false, \"torch_dtype\": \"bfloat16\", \"use_cache\": true,\n"
  " \"use_sliding_window\": false, \"vocab_size\": 152064}";

/* google/vit-base-patch16-224/config.json (labels shortened) */
static const char vit_base[] =
  "{\"architectures\": [\"ViTForImageClassification\"], \"attention_probs_dropout_prob\": 0.0,\n"
  " \"hidden_act\": \"gelu\", \"hidden_dropout_prob\": 0.0, \"hidden_size\": 768,\n"
  " \"id2label\": {\"0\": \"tench, Tinca tinca\", \"1\": \"goldfish, Carassius auratus\"},\n"
  " \"image_size\": 224, \"initializer_range\": 0.02, \"intermediate_size\": 3072,\n"
  " \"layer_norm_eps\": 1e-12, \"model_type\": \"vit\", \"num_attention_heads\": 12,\n"
  " \"num_channels\": 3, \"num_hidden_layers\": 12, \"patch_size\": 16, \"qkv_bias\": true}";

/* EleutherAI/pythia-160m/config.json */
static const char pythia_160m[] =
  "{\"architectures\": [\"GPTNeoXForCausalLM\"], \"bos_token_id\": 0, \"eos_token_id\": 0,\n"
  " \"hidden_act\": \"gelu\", \"hidden_size\": 768, \"initializer_range\": 0.02,\n"
  " \"intermediate_size\": 3072, \"layer_norm_eps\": 1e-05, \"max_position_embeddings\": 2048,\n"
  " \"model_type\": \"gpt_neox\", \"num_attention_heads\": 12, \"num_hidden_layers\": 12,\n"
  " \"rotary_emb_base\": 10000, \"rotary_pct\": 0.25, \"tie_word_embeddings\": false,\n"
  " \"torch_dtype\": \"float16\", \"use_cache\": true, \"use_parallel_residual\": true,\n"
  " \"vocab_size\": 50304}";

static int parse(const char *text, sp_config *c, sp_config_error *e)
{
  return sp_config_parse(text, strlen(text), "config.json", c, e);
}

/* Expected figures of one published config (theory.md §11, natural log). */
typedef struct {
  const char *name;
  const char *text;
  sp_family family;
  long d, heads, dff, tokens, depth;
  sp_norm norm;
  int causal, gate;
  double beta, var_v, var_w_in, var_w_out, branch, q0;
} expect;

static void check_family(const expect *x)
{
  sp_config c;
  sp_config_error e;
  int s = parse(x->text, &c, &e);
  if (!tap_ok(s == SP_OK, "%s: parses", x->name)) {
    tap_diag("%s", e.text);
    return;
  }
  const sp_model *m = &c.preset.model;
  tap_ok(c.family == x->family && c.preset.d_model == x->d && c.preset.heads == x->heads
         && c.preset.d_ff == x->dff && m->tokens == x->tokens && m->depth == x->depth,
         "%s: family, d %ld, heads %ld, d_ff %ld, T %ld, L %ld", x->name, c.preset.d_model,
         c.preset.heads, c.preset.d_ff, m->tokens, m->depth);
  tap_ok(m->norm == x->norm && m->causal == x->causal && c.preset.has_gate == x->gate,
         "%s: %s-LN, causal %d, gate %d", x->name, sp_norm_name(m->norm), m->causal,
         c.preset.has_gate);
  tap_close(m->beta, x->beta, 5e-6, "%s: beta %.6f", x->name, x->beta);
  tap_close(m->var_v, x->var_v, 1e-6 * x->var_v, "%s: var-v %.6g", x->name, x->var_v);
  tap_close(m->var_w_in, x->var_w_in, 1e-9, "%s: var-w-in %.6g", x->name, x->var_w_in);
  tap_close(m->var_w_out, x->var_w_out, 1e-9, "%s: var-w-out %.6g", x->name, x->var_w_out);
  tap_close(m->branch_sa, x->branch, 1e-12, "%s: branch gain %.8f", x->name, x->branch);
  tap_close(m->branch_mlp, x->branch, 1e-12, "%s: MLP branch gain", x->name);
  tap_close(m->q0, x->q0, 1e-9 * x->q0, "%s: q0 %.6g", x->name, x->q0);
  tap_close(c.preset.std_emb, 0.02, 0, "%s: embedding std 0.02", x->name);
}

static void test_families(void)
{
  const double g24 = 0.2041241452319315; /* 1 / sqrt(2 * 12) */
  const expect xs[] = {
    /* beta = 768 * 0.02^2 / sqrt(log 512) = 0.3072 / 2.497664 = 0.122995 */
    {"bert-base-uncased", bert_base, SP_FAMILY_BERT, 768, 12, 3072, 512, 12, SP_NORM_POST, 0, 0,
     0.122995, 0.3072 * 0.3072, 0.3072, 1.2288, 1, 1},
    /* T = 514 - (pad 1 + 1) = 512: the same numbers as BERT */
    {"roberta-base", roberta_base, SP_FAMILY_ROBERTA, 768, 12, 3072, 512, 12, SP_NORM_POST, 0, 0,
     0.122995, 0.3072 * 0.3072, 0.3072, 1.2288, 1, 1},
    /* d = 256: beta = 0.1024 / 2.497664 = 0.0409983; q0 = E s^2 = 128 * 4e-4 */
    {"electra-small", electra_small, SP_FAMILY_ELECTRA, 256, 4, 1024, 512, 12, SP_NORM_POST, 0,
     0, 0.0409983, 0.1024 * 0.1024, 0.1024, 0.4096, 1, 0.0512},
    /* beta = 0.3072 / sqrt(log 1024) = 0.3072 / 2.632769 = 0.116683; gain 1/sqrt(24);
     * q0 = token + position = 2 * 4e-4 */
    {"gpt2", gpt2, SP_FAMILY_GPT2, 768, 12, 3072, 1024, 12, SP_NORM_PRE, 1, 0, 0.116683,
     0.3072 * 0.3072, 0.3072, 1.2288, g24, 0.0008},
    /* beta = 1.6384 / sqrt(log 4096) = 1.6384 / 2.884053 = 0.568089 */
    {"Llama-2-7b", llama2_7b, SP_FAMILY_LLAMA, 4096, 32, 11008, 4096, 32, SP_NORM_PRE, 1, 1,
     0.568089, 1.6384 * 1.6384, 1.6384, 4.4032, 1, 0.0004},
    /* T = the 4096-token sliding window: the same beta as Llama-2 */
    {"Mistral-7B", mistral_7b, SP_FAMILY_MISTRAL, 4096, 32, 14336, 4096, 32, SP_NORM_PRE, 1, 1,
     0.568089, 1.6384 * 1.6384, 1.6384, 5.7344, 1, 0.0004},
    /* d = 3584: beta = 1.4336 / sqrt(log 131072) = 1.4336 / 3.432711 = 0.417629 */
    {"Qwen2-7B", qwen2_7b, SP_FAMILY_QWEN2, 3584, 28, 18944, 131072, 28, SP_NORM_PRE, 1, 1,
     0.417629, 1.4336 * 1.4336, 1.4336, 7.5776, 1, 0.0004},
    /* T = 14^2 + 1 = 197: beta = 0.3072 / 2.298522 = 0.133651;
     * q0 = (196 (s^2 + 3 * 256 s^2) + 2 s^2) / 197 */
    {"vit-base-patch16-224", vit_base, SP_FAMILY_VIT, 768, 12, 3072, 197, 12, SP_NORM_PRE, 0, 0,
     0.133651, 0.3072 * 0.3072, 0.3072, 1.2288, 1, (196 * 769 * 4e-4 + 8e-4) / 197},
    /* beta = 0.3072 / sqrt(log 2048) = 0.3072 / 2.761271 = 0.111253 */
    {"pythia-160m", pythia_160m, SP_FAMILY_GPT_NEOX, 768, 12, 3072, 2048, 12, SP_NORM_PRE, 1, 0,
     0.111253, 0.3072 * 0.3072, 0.3072, 1.2288, 1, 0.0004},
  };
  for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++)
    check_family(&xs[i]);
}

/* The config of a published model and sigprop's preset for it are one model. */
static void test_same_as_presets(void)
{
  static const struct { const char *text, *preset; } pairs[] = {
    {bert_base, "bert-base"}, {gpt2, "gpt2-small"}};
  for (size_t i = 0; i < 2; i++) {
    sp_config c;
    sp_preset p;
    int s = parse(pairs[i].text, &c, NULL) | sp_preset_load(pairs[i].preset, &p, NULL);
    const sp_model *a = &c.preset.model, *b = &p.model;
    tap_ok(s == SP_OK && a->norm == b->norm && a->activation == b->activation
           && a->causal == b->causal && a->tokens == b->tokens && a->depth == b->depth
           && fabs(a->beta - b->beta) < 1e-15 && fabs(a->var_v - b->var_v) < 1e-15
           && a->var_w_in == b->var_w_in && a->var_w_out == b->var_w_out && a->var_b == b->var_b
           && fabs(a->branch_sa - b->branch_sa) < 1e-15 && a->alpha_sa == b->alpha_sa
           && fabs(a->q0 - b->q0) < 1e-15 && c.preset.gain == p.gain,
           "config of %s gives the %s preset's model", c.preset.name, pairs[i].preset);
  }
}

static void test_assumed(void)
{
  sp_config c;
  char buf[512];
  parse(gpt2, &c, NULL);
  sp_config_assumed_text(&c, buf, sizeof buf);
  tap_ok(c.assumed == (1ul << SP_CF_D_FF) && strcmp(buf, "n_inner = 3072") == 0,
         "gpt2: n_inner assumed (4 n_embd): '%s'", buf);
  parse(bert_base, &c, NULL);
  tap_ok(c.assumed == 0 && sp_config_assumed_text(&c, buf, sizeof buf) == 0 && !buf[0],
         "bert-base-uncased: nothing assumed (is_decoder, absent, is every config's false)");
  /* Only the family: every field is BertConfig's default. */
  int s = parse("{\"model_type\": \"bert\"}", &c, NULL);
  sp_config_assumed_text(&c, buf, sizeof buf);
  tap_ok(s == SP_OK && c.preset.d_model == 768 && c.preset.model.tokens == 512
         && c.preset.model.depth == 12 && c.preset.model.activation == SP_ACT_GELU
         && strstr(buf, "hidden_size = 768") && strstr(buf, "initializer_range = 0.02")
         && strstr(buf, "hidden_act = gelu") && !strstr(buf, "is_decoder"),
         "bert with nothing but model_type: BertConfig defaults, all assumed");
  tap_diag("%s", buf);
  char small[16];
  int need = sp_config_assumed_text(&c, small, sizeof small);
  tap_ok(need == (int)strlen(buf) && strlen(small) == sizeof small - 1,
         "assumed text: truncated safely, full length returned (%d)", need);
  s = parse("{\"model_type\": \"llama\", \"hidden_size\": 512, \"num_attention_heads\": 8}", &c,
            NULL);
  tap_ok(s == SP_OK && c.kv_heads == 8 && c.preset.model.tokens == 2048
         && ((c.assumed >> SP_CF_KV_HEADS) & 1) && !((c.assumed >> SP_CF_D_MODEL) & 1),
         "llama: num_key_value_heads follows the heads, T 2048 assumed");
  s = parse("{\"model_type\": \"mistral\", \"sliding_window\": null}", &c, NULL);
  tap_ok(s == SP_OK && c.preset.model.tokens == 131072 && !((c.assumed >> SP_CF_SLIDING_WINDOW) & 1),
         "mistral: sliding_window null means no window (T = 4096*32)");
  s = parse("{\"model_type\": \"bert\", \"is_decoder\": true, \"hidden_act\": \"relu\"}", &c, NULL);
  tap_ok(s == SP_OK && c.preset.model.causal && c.preset.model.activation == SP_ACT_RELU,
         "bert: is_decoder makes it causal; hidden_act relu");
  s = parse("{\"model_type\": \"gpt2\", \"n_layer\": 48, \"n_inner\": null}", &c, NULL);
  tap_close(c.preset.model.branch_sa, 1 / sqrt(96.0), 1e-15, "gpt2, 48 layers: gain 1/sqrt(96)");
  tap_ok(s == SP_OK && ((c.assumed >> SP_CF_D_FF) & 1), "n_inner null is assumed");
}

static void expect_error(const char *text, size_t len, const char *want, const char *what)
{
  sp_config c;
  sp_config_error e;
  int s = sp_config_parse(text, len, "c.json", &c, &e);
  int ok = s == SP_EPARSE && strstr(e.text, want) && !strchr(e.text, '\n');
  tap_ok(ok, "%s", what);
  if (!ok)
    tap_diag("status %d, message '%s', want '%s'", s, e.text, want);
}

#define ERR(text, want, what) expect_error(text, strlen(text), want, what)

static void test_errors(void)
{
  sp_config c;
  sp_config_error e;
  int s = sp_config_parse("{\"model_type\": \"bert\",\n  \"hidden_size\": 76 8}", 41, "c.json", &c,
                          &e);
  tap_ok(s == SP_EPARSE && e.line == 2 && e.column > 0 && strncmp(e.text, "c.json:2:", 9) == 0,
         "malformed JSON: line 2, column %ld: %s", e.column, e.text);
  ERR("", "c.json:", "empty text");
  ERR("{\"model_type\": \"bert\"", "c.json:1:", "unterminated object");
  ERR("[1, 2]", "expected a JSON object, got an array", "not an object");
  ERR("{\"hidden_size\": 768}", "model_type: missing (supported: bert, roberta, electra, gpt2, "
      "llama, mistral, qwen2, vit, gpt_neox)", "missing model_type lists the families");
  ERR("{\"model_type\": \"t5\"}", "model_type: 't5' is not a supported family (supported: bert, "
      "roberta, electra, gpt2, llama, mistral, qwen2, vit, gpt_neox)", "unknown model_type");
  ERR("{\"model_type\": 3}", "model_type: expected a string", "model_type not a string");
  ERR("{\"model_type\": \"bert\", \"hidden_size\": \"768\"}",
      "hidden_size: expected an integer, got a string", "hidden_size as a string");
  ERR("{\"model_type\": \"bert\", \"hidden_size\": 768.5}",
      "hidden_size: expected an integer, got a real number", "hidden_size as a real");
  ERR("{\"model_type\": \"bert\", \"hidden_size\": 0}", "hidden_size: 0 is outside [1, ",
      "zero width");
  ERR("{\"model_type\": \"bert\", \"num_hidden_layers\": -3}", "num_hidden_layers: -3 is outside",
      "negative depth");
  ERR("{\"model_type\": \"bert\", \"num_attention_heads\": 7}",
      "num_attention_heads: 7 does not divide hidden_size = 768", "heads not dividing the width");
  ERR("{\"model_type\": \"llama\", \"num_key_value_heads\": 5}",
      "num_key_value_heads: 5 does not divide num_attention_heads = 32", "bad kv heads");
  ERR("{\"model_type\": \"bert\", \"initializer_range\": \"0.02\"}",
      "initializer_range: expected a number, got a string", "std as a string");
  ERR("{\"model_type\": \"bert\", \"initializer_range\": -0.02}", "initializer_range: -0.02 is "
      "negative", "negative std");
  ERR("{\"model_type\": \"bert\", \"is_decoder\": 1}", "is_decoder: expected true or false, got "
      "an integer", "is_decoder as a number");
  ERR("{\"model_type\": \"bert\", \"hidden_act\": \"mish\"}", "hidden_act: 'mish' is not an "
      "activation sigprop models", "unknown activation");
  ERR("{\"model_type\": \"gpt2\", \"activation_function\": [1]}", "activation_function: expected "
      "a string, got an array", "activation as an array");
  ERR("{\"model_type\": \"vit\", \"patch_size\": 300}", "patch_size: 300 is outside [1, 224]",
      "patch larger than the image");
  ERR("{\"model_type\": \"roberta\", \"max_position_embeddings\": 3}", "max_position_embeddings: "
      "gives a sequence length of 1 tokens", "roberta with one position");
  ERR("{\"model_type\": \"bert\", \"model_type\": \"gpt2\"}", "c.json:1:", "duplicate key");
  ERR("{\"model_type\": \"bert\", \"num_hidden_layers\": 2000000}", "num_hidden_layers: 2000000 is "
      "outside [1, 1000000]", "depth beyond sigprop's cap");
  expect_error("{\"model_type\": \"bert\"}\0garbage", 31, "c.json:1:", "NUL byte and trailing text");
  s = sp_config_parse(NULL, 0, NULL, &c, &e);
  tap_ok(s == SP_EINVAL, "NULL text: SP_EINVAL");
  s = sp_config_parse("{}", (size_t)SP_CONFIG_MAX_BYTES + 1, NULL, &c, &e);
  tap_ok(s == SP_EPARSE && strstr(e.text, "<config>: larger than"), "over the size cap: %s",
         e.text);
  s = sp_config_read("/nonexistent/config.json", &c, &e);
  tap_ok(s == SP_EIO && strstr(e.text, "No such file"), "missing file: SP_EIO, %s", e.text);
}

static void test_read(void)
{
  char path[] = "/tmp/sp_test_config_XXXXXX";
  int fd = mkstemp(path);
  FILE *fp = fd >= 0 ? fdopen(fd, "w") : NULL;
  if (fp) {
    fputs(pythia_160m, fp);
    fclose(fp);
  }
  sp_config c;
  int s = sp_config_read(path, &c, NULL);
  tap_ok(s == SP_OK && c.family == SP_FAMILY_GPT_NEOX && c.parallel_residual
         && c.position == SP_POSITION_ROTARY && strcmp(c.preset.source, path) == 0,
         "read from a file: gpt_neox, parallel residual, rotary, source names the file");
  unlink(path);
  sp_family f;
  tap_ok(sp_family_from_name("qwen2", &f) == SP_OK && f == SP_FAMILY_QWEN2
         && sp_family_from_name("gpt-neox", &f) == SP_EINVAL
         && strcmp(sp_family_name(SP_FAMILY_GPT_NEOX), "gpt_neox") == 0
         && strcmp(sp_family_name(SP_NFAMILY), "?") == 0, "family names");
  tap_ok(strcmp(sp_config_field_key(SP_FAMILY_GPT2, SP_CF_D_MODEL), "n_embd") == 0
         && sp_config_field_key(SP_FAMILY_GPT2, SP_CF_IMAGE_SIZE) == NULL
         && sp_config_field_key(SP_NFAMILY, SP_CF_D_MODEL) == NULL, "field keys per family");
}

int main(void)
{
  test_families();
  test_same_as_presets();
  test_assumed();
  test_errors();
  test_read();
  return tap_done();
}
