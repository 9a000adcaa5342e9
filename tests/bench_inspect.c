/* Benchmark: inspect a 2 GB F16 LLaMA-like checkpoint (d 2048, d_ff 5632,
 * vocab 32000, 17 blocks) written into the working folder.  Each tensor is
 * a 1 MiB block of N(0, 0.02^2) half-precision values repeated (fast to
 * write; every byte real data).  The inspection runs in a child process so
 * that its own wall time and peak resident memory are reported, in the
 * words of /usr/bin/time -v.  Goal: under 5 s and under 300 MB.  Reports
 * figures; never fails on time.  SP_BENCH_KEEP=1 keeps the file.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _POSIX_C_SOURCE 200809L
#include "sigprop/inspect.h"
#include "sigprop/status.h"
#include "bench_util.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define D 2048
#define FF 5632
#define VOCAB 32000
#define LAYERS 17
#define BLOCK (1u << 19) /* half values in the repeated block: 1 MiB */

static uint16_t to_half(double x)
{
  /* normal range only (|x| in [2^-14, 65504]); smaller values flush to 0 */
  int e;
  double f = frexp(fabs(x), &e);
  int ex = e - 1 + 15;
  if (ex < 1)
    return (uint16_t)(x < 0 ? 0x8000 : 0);
  unsigned m = (unsigned)lrint((2 * f - 1) * 1024);
  if (m == 1024) {
    m = 0;
    ex++;
  }
  return (uint16_t)((x < 0 ? 0x8000u : 0u) | (unsigned)ex << 10 | m);
}

typedef struct {
  char name[80];
  uint64_t rows, cols;
} spec;

static size_t specs(spec *s)
{
  size_t n = 0;
  snprintf(s[n].name, sizeof s[n].name, "model.embed_tokens.weight");
  s[n].rows = VOCAB, s[n++].cols = D;
  static const char *const mat[] = {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
                                    "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj",
                                    "mlp.down_proj"};
  for (int l = 0; l < LAYERS; l++)
    for (int m = 0; m < 7; m++) {
      snprintf(s[n].name, sizeof s[n].name, "model.layers.%d.%s.weight", l, mat[m]);
      s[n].rows = m == 4 || m == 5 ? FF : D;
      s[n++].cols = m == 6 ? FF : D;
    }
  snprintf(s[n].name, sizeof s[n].name, "lm_head.weight");
  s[n].rows = VOCAB, s[n++].cols = D;
  return n;
}

static int generate(const char *path)
{
  static spec s[2 + 7 * LAYERS];
  size_t n = specs(s);
  size_t cap = 1 << 20, h = 0;
  char *hdr = malloc(cap);
  uint16_t *block = malloc(BLOCK * sizeof *block);
  if (!hdr || !block)
    return -1;
  uint64_t off = 0, state = 12345;
  h += (size_t)snprintf(hdr, cap, "{");
  for (size_t i = 0; i < n; i++) {
    uint64_t nb = 2 * s[i].rows * s[i].cols;
    h += (size_t)snprintf(hdr + h, cap - h, "%s\"%s\":{\"dtype\":\"F16\",\"shape\":[%llu,%llu],"
                          "\"data_offsets\":[%llu,%llu]}", i ? "," : "", s[i].name,
                          (unsigned long long)s[i].rows, (unsigned long long)s[i].cols,
                          (unsigned long long)off, (unsigned long long)(off + nb));
    off += nb;
  }
  h += (size_t)snprintf(hdr + h, cap - h, "}");
  for (unsigned i = 0; i < BLOCK; i++) {
    state = state * 6364136223846793005u + 1442695040888963407u;
    double u = ((double)(state >> 11) + 0.5) * 0x1p-53;
    state = state * 6364136223846793005u + 1442695040888963407u;
    double v = ((double)(state >> 11) + 0.5) * 0x1p-53;
    block[i] = to_half(0.02 * sqrt(-2 * log(u)) * cos(2 * M_PI * v));
  }
  FILE *fp = fopen(path, "wb");
  if (!fp)
    return -1;
  for (int i = 0; i < 8; i++)
    fputc((int)(((uint64_t)h >> (8 * i)) & 0xff), fp);
  fwrite(hdr, 1, h, fp);
  for (uint64_t left = off / 2; left > 0;) {
    size_t k = left < BLOCK ? (size_t)left : BLOCK;
    if (fwrite(block, 2, k, fp) != k)
      break;
    left -= k;
  }
  free(hdr);
  free(block);
  return fclose(fp);
}

static int inspect(const char *path)
{
  static const char json[] = "{\"model_type\": \"llama\", \"hidden_size\": 2048,"
    " \"num_attention_heads\": 16, \"num_hidden_layers\": 17, \"intermediate_size\": 5632,"
    " \"max_position_embeddings\": 2048, \"vocab_size\": 32000}";
  sp_config cfg;
  sp_safetensors *st;
  sp_st_error e;
  sp_inspection in;
  if (sp_config_parse(json, strlen(json), NULL, &cfg, NULL) || sp_safetensors_open(path, &st, &e)) {
    fprintf(stderr, "bench_inspect: %s\n", e.text);
    return 1;
  }
  int s = sp_inspect_checkpoint(st, &cfg, NULL, &in, &e);
  if (s) {
    fprintf(stderr, "bench_inspect: %s\n", e.text);
    return 1;
  }
  printf("inspected: %zu tensors, %ld blocks; std q %.5f, std ff_out %.5f, beta %.4f, q0 %.3g, "
         "rho0 %.4f\n", sp_safetensors_count(st), in.depth, in.preset.std_q, in.preset.std_ff_out,
         in.preset.model.beta, in.q0, in.rho0);
  sp_inspect_free(&in);
  sp_safetensors_free(st);
  return fflush(stdout) != 0; /* the child leaves by _exit */
}

int main(void)
{
  const char *path = "bench_inspect_2g.safetensors";
  struct stat sb;
  double t0 = bench_wall();
  if (stat(path, &sb) != 0 || sb.st_size < 2000000000) {
    if (generate(path)) {
      fprintf(stderr, "bench_inspect: cannot write %s\n", path);
      return 1;
    }
    printf("generated %s in %.2f s\n", path, bench_wall() - t0);
  }
  stat(path, &sb);
  printf("checkpoint: %.3f GB (F16)\n", (double)sb.st_size / 1e9);
  fflush(stdout);
  t0 = bench_wall();
  pid_t pid = fork();
  if (pid == 0)
    _exit(inspect(path));
  int status = 0;
  struct rusage ru;
  if (pid < 0 || wait4(pid, &status, 0, &ru) < 0)
    return 1;
  double wall = bench_wall() - t0;
  printf("\tCommand being timed: \"sp_inspect_checkpoint %s\"\n", path);
  printf("\tUser time (seconds): %.2f\n", (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec);
  printf("\tSystem time (seconds): %.2f\n", (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec);
  printf("\tElapsed (wall clock) time (seconds): %.2f\n", wall);
  printf("\tMaximum resident set size (kbytes): %ld\n", ru.ru_maxrss);
  printf("\tExit status: %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128);
  printf("goal: < 5 s and < 300 MB: %s, %s\n", wall < 5 ? "met" : "missed",
         ru.ru_maxrss < 300 * 1024 ? "met" : "missed");
  if (!getenv("SP_BENCH_KEEP"))
    unlink(path);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
