/* sigprop inspect: what a safetensors checkpoint's initialisation is, per
 * block and as one model, and its phase as recommend reports it.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "cli.h"
#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const char *config;
  int json;  /* --format json */
  long tokens;
  long seed;
  double rho_max, margin;
  cli_list out;
} options;

static const cli_choice formats[] = {{"text", 0}, {"json", 1}, {NULL, 0}};

static const cli_opt opts[] = {
  CLI_STRING("config", 0, options, config, "FILE",
             "the checkpoint's config.json: family, architecture, T (without it: the family "
             "from the parameter names, sizes from the shapes)"),
  CLI_LONG("tokens", 0, options, tokens, 0, (double)SP_MAX_TOKENS, "T",
           "sequence length of the measured input and of beta (0: the config's, else the "
           "position table's rows, else 2048, assumed)"),
  CLI_LONG("seed", 0, options, seed, 0, 4294967295.0, "N",
           "seed of the input's token ids (and ViT's pixels)"),
  CLI_DOUBLE("rho-max", 0, options, rho_max, 1e-9, 1 - 1e-9, "R", "rank-collapse threshold on rho_L"),
  CLI_DOUBLE("margin", 0, options, margin, 0, 10, "M", "relative safety margin of the recommendation"),
  {"format", 0, CLI_OPT_CHOICE, offsetof(options, json), 0, 0, formats, NULL, NULL, "NAME",
   "the report on standard output: text or JSON (the schema of sigprop-recommend(1), plus "
   "\"checkpoint\")", 0},
  CLI_LIST(NULL, 'o', options, out, CLI_LIST_MAX, "FILE",
           "write the per-block table to FILE, by extension .csv, .tsv or .json; '-' for CSV on "
           "standard output in place of the report; repeatable [the report only]"),
};

static const cli_command cmd = {
  "inspect", "FILE.safetensors [--config config.json] [OPTIONS]",
  "Measure the weight stds of a safetensors checkpoint (or a sharded checkpoint's "
  "model.safetensors.index.json) block by block, the beta, sigma_v^2, sigma_w^2 and gains they "
  "imply (theory.md §11), q0 and rho0 of one input through the embeddings, and report the "
  "phase of that initialisation as sigprop recommend does.", 1, NULL};

static const char *const columns[] = {
  "block", "std_q", "std_k", "std_v", "std_o", "std_ff_in", "std_gate", "std_ff_out",
  "beta", "var_v", "var_w_in", "var_w_out", "gain_sa", "gain_mlp"};
#define NCOL (sizeof columns / sizeof columns[0])

/* The per-block table to the -o files opened in `files` (and standard
 * output for -o -); its metadata names the checkpoint and the input. */
static int write_tables(const options *o, const char *file, const sp_inspection *in,
                        const sp_model *m, cli_outputs *files)
{
  double *num = malloc((size_t)in->depth * NCOL * sizeof *num);
  if (!num)
    return cli_outputs_end(files, NULL, NULL, 0, NULL,
                           cli_error(CLI_FAIL, "out of memory for %ld blocks", in->depth));
  for (long l = 0; l < in->depth; l++) {
    const sp_inspect_layer *L = &in->layers[l];
    double *row = num + (size_t)l * NCOL;
    row[0] = (double)l + 1;
    memcpy(row + 1, L->std, SP_NMAT * sizeof *row);
    double rest[] = {L->beta, L->var_v, L->var_w_in, L->var_w_out, L->gain_sa, L->gain_mlp};
    memcpy(row + 1 + SP_NMAT, rest, sizeof rest);
  }
  sp_table t = {NCOL, (size_t)in->depth, columns, num, NULL};
  cli_meta meta;
  cli_meta_begin(&meta);
  cli_meta_add(&meta, "checkpoint", "%.80s", file);
  cli_meta_add(&meta, "family", "%s%s", sp_family_name(in->family), o->config ? "" : " (from the names)");
  if (o->config)
    cli_meta_add(&meta, "config", "%.80s", o->config);
  cli_meta_add(&meta, "d-model", "%ld", in->d_model);
  cli_meta_add(&meta, "d-ff", "%ld", in->d_ff);
  cli_meta_add(&meta, "tokens", "%ld%s", in->tokens, in->tokens_assumed ? " (assumed)" : "");
  cli_meta_add(&meta, "seed", "%ld", o->seed);
  cli_meta_add(&meta, "q0", "%.9g", in->q0);
  cli_meta_add(&meta, "rho0", "%.9g", in->rho0);
  cli_meta_add(&meta, "std-emb", "%.9g", in->std_emb);
  if (!isnan(in->std_pos))
    cli_meta_add(&meta, "std-pos", "%.9g", in->std_pos);
  cli_meta_add(&meta, "beta", "%.9g", m->beta);
  int r = cli_outputs_end(files, &t, NULL, 0, &meta, CLI_OK);
  free(num);
  return r;
}

/* The library's form of the command's options. */
static sp_report_inspect_options inspect_options(const options *o)
{
  sp_report_inspect_options io;
  sp_report_inspect_options_default(&io);
  io.config = o->config;
  io.tokens = o->tokens;
  io.seed = (unsigned long)o->seed;
  io.rho_max = o->rho_max;
  io.margin = o->margin;
  return io;
}

/* What was measured, before the report. */
static void print_measured(const options *o, const char *file, const sp_inspection *in)
{
  printf("checkpoint   %s: %s%s%s%s, %ld blocks, d_model %ld, d_ff %ld\n", file,
         sp_family_name(in->family), in->prefix[0] ? " (names under '" : "", in->prefix,
         in->prefix[0] ? "')" : "", in->depth, in->d_model, in->d_ff);
  double lo[SP_NMAT], hi[SP_NMAT];
  for (int m = 0; m < SP_NMAT; m++) {
    lo[m] = INFINITY, hi[m] = -INFINITY;
    for (long l = 0; l < in->depth; l++) {
      lo[m] = fmin(lo[m], in->layers[l].std[m]);
      hi[m] = fmax(hi[m], in->layers[l].std[m]);
    }
  }
  printf("measured     std per block, min-max:");
  for (int m = 0; m < SP_NMAT; m++)
    if (!isnan(in->layers[0].std[m]))
      printf(" %s %.4g-%.4g", sp_matrix_name((sp_matrix)m), lo[m], hi[m]);
  printf("\n             embedding %.4g", in->std_emb);
  if (!isnan(in->std_pos))
    printf(", positions %.4g", in->std_pos);
  printf("; input of T %ld%s tokens (seed %ld): q0 %.4g, rho0 %.4g\n", in->tokens,
         in->tokens_assumed ? " (assumed)" : "", o->seed, in->q0, in->rho0);
  if (o->out.n == 0)
    printf("             (the per-block table: -o FILE.csv)\n");
}

/* The report, as recommend's; the verdict alone when the advice fails. */
static int report(const options *o, const char *file, const sp_inspection *in, const sp_model *m)
{
  sp_report_inspect_options io = inspect_options(o);
  cli_source src;
  sp_recommend_options ro;
  sp_advice a;
  sp_verdict v;
  int advised = 0, why = SP_OK;
  int s = sp_report_inspect_eval(in, file, &io, &src, &ro, &a, &v, &advised, &why);
  if (s)
    return cli_status(s, "inspect");
  if (o->json) {
    char *text = NULL;
    src.command = cli_command_line;
    json_t *root = NULL;
    if (!sp_report_inspect_json(in, file, &io, &src, &ro, &a, &v, advised, &text))
      root = json_loads(text, 0, NULL); /* reals were written to read back exactly */
    sp_report_free(text);
    if (!root)
      return cli_error(CLI_FAIL, "out of memory");
    json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    fputc('\n', stdout);
    json_decref(root);
    return CLI_OK; /* a write error shows when main flushes standard output */
  }
  print_measured(o, file, in);
  if (advised)
    cli_report_text(stdout, m, &src, &ro, &a);
  else
    printf("verdict      %s: rho_L %.4g, q_L %.4g, %ld frozen blocks (the recommendation "
           "could not be computed: %s)\n", sp_phase_name(v.phase), v.rho_final, v.q_final,
           v.frozen_layers, sp_strerror(why));
  return CLI_OK;
}

/* The checkpoint measured, or an error recorded. */
static int measure(const options *o, const char *file, sp_inspection *in)
{
  sp_report_inspect_options io = inspect_options(o);
  char err[SP_MODELOPT_ERROR_SIZE];
  int usage = 0;
  if (sp_report_measure(file, &io, in, err, sizeof err, &usage))
    return cli_error(usage ? CLI_USAGE : CLI_FAIL, "%s", err);
  return CLI_OK;
}

int cmd_inspect(int argc, char **argv)
{
  options o = {NULL, 0, 0, 1, 0.9, 0.2, {{NULL}, 0}};
  cli_opt_group groups[] = {CLI_GROUP(opts, &o)};
  const char *pos[1];
  int npos = 0;
  int r = cli_parse(&cmd, groups, 1, argc, argv, pos, &npos);
  if (r)
    return r;
  if (npos != 1)
    return cli_error(CLI_USAGE, "inspect: give the checkpoint, FILE.safetensors or "
                     "model.safetensors.index.json (see --help)");
  if ((r = cli_outputs_check(&o.out, 0)))
    return r;
  if (o.tokens == 1)
    return cli_error(CLI_USAGE, "--tokens: 1 is outside [2, %ld] (0: from the config)",
                     SP_MAX_TOKENS);
  /* Every -o file is opened before the work; without -o, no table. */
  cli_outputs files;
  int table = o.out.n > 0, report_too = !cli_outputs_stdout(&o.out) || !table;
  if (table && (r = cli_outputs_begin(&files, &o.out)))
    return r;
  sp_inspection in;
  r = measure(&o, pos[0], &in);
  if (r) {
    if (table)
      cli_outputs_end(&files, NULL, NULL, 0, NULL, r);
    return r;
  }
  sp_model m = in.preset.model;
  r = table ? write_tables(&o, pos[0], &in, &m, &files) : CLI_OK;
  if (!r && report_too)
    r = report(&o, pos[0], &in, &m);
  sp_inspect_free(&in);
  return r; /* main checks standard output */
}
