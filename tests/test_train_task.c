/* Tests of the train module's tasks: the copy and Markov sequences and
 * their masked forms, the exact entropy rate against bigram counts, the
 * masked Bayes loss, token files and every error path.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop.h"
#include "tap.h"
#include "test_util.h"

#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_copy(void)
{
  sp_task_options o = tu_task_options(SP_TASK_COPY, 13, 10, 4242);
  int st, tok[3 * 10], tgt[3 * 10], tok2[3 * 10], tgt2[3 * 10];
  sp_task *k = NULL;
  st = sp_task_alloc(&o, &k);
  tap_ok(k && st == SP_OK, "copy task allocated");
  tap_ok(sp_task_best_loss(k) == 0.0, "copy: best loss 0");
  sp_task_batch(k, 0, 7, 3, tok, tgt);
  int good = 1;
  for (int i = 0; i < 3; i++)
    for (int t = 0; t < 10; t++) {
      const int *a = tok + i * 10, *g = tgt + i * 10;
      good &= a[t] >= 0 && a[t] < 13 && a[t % 5] == a[t];
      good &= (t >= 4 && t <= 8) ? g[t] == a[t + 1] : g[t] == -1;
    }
  tap_ok(good, "copy: a_1..a_5 a_1..a_5 with targets at positions 4..8");
  /* batch 7 of 3 = sequences 21..23 = batch 21 of 1, ... */
  sp_task_batch(k, 0, 22, 1, tok2, tgt2);
  tap_ok(memcmp(tok + 10, tok2, sizeof(int) * 10) == 0, "sequence 22 is the same in batches of 3 and 1");
  sp_task_batch(k, 1, 7, 3, tok2, tgt2);
  tap_ok(memcmp(tok, tok2, sizeof tok) != 0, "evaluation stream differs from the training stream");
  sp_task_free(k);

  o.masked = 1;
  o.mask_fraction = 0.4;
  st = sp_task_alloc(&o, &k);
  long masked = 0;
  good = 1;
  for (long b = 0; b < 50; b++) {
    sp_task_batch(k, 0, b, 1, tok, tgt);
    int any = 0;
    for (int t = 0; t < 10; t++) {
      if (tgt[t] >= 0) {
        good &= t >= 5 && tok[t] == 12 && tgt[t] == tok[t - 5] && tgt[t] < 12;
        any = 1;
        masked++;
      } else {
        good &= tok[t] < 12;
      }
    }
    good &= any;
  }
  tap_ok(good, "masked copy: masks only in the second half, target = the copied token, mask id V-1");
  tap_ok(masked > 70 && masked < 140, "masked copy: %ld of 250 maskable positions masked (fraction 0.4)", masked);
  sp_task_free(k);
}

static void test_markov(void)
{
  sp_task_options o = tu_task_options(SP_TASK_MARKOV, 4, 50, 31337);
  o.gamma = 0.73;
  int st;
  sp_task *k = NULL;
  st = sp_task_alloc(&o, &k);
  double h = sp_task_best_loss(k);
  tap_ok(st == SP_OK && k && h > 0.0 && h < log(4.0), "markov: entropy rate %.6f in (0, log 4)", h);
  /* empirical conditional entropy from bigram counts of 4000 sequences */
  static double cnt[4][4];
  int tok[50], tgt[50];
  for (long j = 0; j < 4000; j++) {
    sp_task_batch(k, 0, j, 1, tok, tgt);
    for (int t = 0; t < 50; t++)
      cnt[tok[t]][tgt[t]] += 1.0;
  }
  double tot = 0.0, he = 0.0;
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++)
      tot += cnt[i][j];
  for (int i = 0; i < 4; i++) {
    double row = cnt[i][0] + cnt[i][1] + cnt[i][2] + cnt[i][3];
    for (int j = 0; j < 4; j++)
      if (cnt[i][j] > 0)
        he -= cnt[i][j] / tot * log(cnt[i][j] / row);
  }
  tap_close(he, h, 0.01, "markov: bigram estimate over 200000 transitions = exact entropy rate");
  sp_task_free(k);

  o.masked = 1;
  o.vocab = 5;
  o.mask_fraction = 0.3;
  st = sp_task_alloc(&o, &k);
  double hm = sp_task_best_loss(k);
  tap_ok(k && hm > 0.0 && hm < h, "masked markov: Bayes loss %.6f below the entropy rate %.6f "
         "(both neighbours seen)", hm, h);
  sp_task_batch(k, 1, 0, 1, tok, tgt);
  int good = 1;
  for (int t = 0; t < 50; t++)
    good &= tgt[t] >= 0 ? tok[t] == 4 && tgt[t] < 4 : tok[t] < 4;
  tap_ok(good, "masked markov: mask id 4, targets only at masked positions");
  sp_task_free(k);
}

static void write_file(const char *path, const void *p, size_t n)
{
  FILE *f = fopen(path, "wb");
  fwrite(p, 1, n, f);
  fclose(f);
}

static void test_data(void)
{
  char path[] = "test_train_task.tokens";
  unsigned char buf[4 * 300];
  for (int i = 0; i < 300; i++) {
    unsigned v = (unsigned)(i * 37 % 1000);
    buf[2 * i] = (unsigned char)(v & 0xff);
    buf[2 * i + 1] = (unsigned char)(v >> 8);
  }
  write_file(path, buf, 600);
  sp_task_options o;
  sp_task_options_default(&o);
  o.kind = SP_TASK_DATA;
  o.vocab = 1000;
  o.tokens = 20;
  o.path = path;
  int st, tok[2 * 20], tgt[2 * 20];
  sp_task *k = NULL;
  st = sp_task_alloc(&o, &k);
  tap_ok(st == SP_OK && k != NULL && isnan(sp_task_best_loss(k)), "data task from 300 uint16 ids; best loss unknown");
  int good = 1;
  for (long b = 0; b < 20; b++) {
    for (int e = 0; e < 2; e++) {
      sp_task_batch(k, e, b, 2, tok, tgt);
      for (int i = 0; i < 2 * 20; i++) {
        int pos = -1;
        for (int j = 0; j < 300; j++)
          if ((j * 37 % 1000) == tok[i])
            pos = j;
        good &= pos >= 0 && tgt[i] == (pos + 1) * 37 % 1000;
        good &= e ? pos >= 270 : pos < 270;
      }
    }
  }
  tap_ok(good, "data: targets are the next ids; training windows in the first 90%%, "
         "evaluation windows in the last 10%%");
  sp_task_free(k);

  o.vocab = 999;
  sp_task *kbad = NULL;
  tap_ok(sp_task_alloc(&o, &kbad) == SP_EPARSE, "an id >= vocab: SP_EPARSE");
  o.vocab = 1000;
  write_file(path, buf, 599);
  tap_ok(sp_task_alloc(&o, &kbad) == SP_EPARSE, "odd-sized file: SP_EPARSE");
  write_file(path, buf, 0);
  tap_ok(sp_task_alloc(&o, &kbad) == SP_EPARSE, "empty file: SP_EPARSE");
  write_file(path, buf, 100);
  tap_ok(sp_task_alloc(&o, &kbad) == SP_EDOM, "file too short for a held-out window: SP_EDOM");
  for (int i = 0; i < 300; i++) {
    unsigned v = (unsigned)(i * 7919 % 70001);
    buf[4 * i] = (unsigned char)(v & 0xff);
    buf[4 * i + 1] = (unsigned char)(v >> 8 & 0xff);
    buf[4 * i + 2] = (unsigned char)(v >> 16);
    buf[4 * i + 3] = 0;
  }
  write_file(path, buf, 1200);
  o.bytes = 4;
  o.vocab = 70001;
  st = sp_task_alloc(&o, &k);
  sp_task_batch(k, 0, 0, 1, tok, tgt);
  int pos = -1;
  for (int j = 0; j < 300; j++)
    if (j * 7919 % 70001 == tok[0])
      pos = j;
  tap_ok(k && pos >= 0 && tok[1] == (pos + 1) * 7919 % 70001, "uint32 ids above 65535 read");
  sp_task_free(k);
  remove(path);
  o.path = "/nonexistent/dir/tokens.bin";
  tap_ok(sp_task_alloc(&o, &kbad) == SP_EIO, "unreadable file: SP_EIO");
  o.path = "/dev/zero"; /* a device: refused before reading, or this would not end */
  tap_ok(sp_task_alloc(&o, &kbad) == SP_EINVAL, "a device (/dev/zero): SP_EINVAL");
  o.path = ".";
  tap_ok(sp_task_alloc(&o, &kbad) == SP_EINVAL, "a directory: SP_EINVAL");
  /* a sparse file one id over the limit: refused from its size alone */
  FILE *f = fopen(path, "wb");
  int sized = f && fseek(f, (long)(4 * SP_TASK_DATA_MAX_TOKENS + 3), SEEK_SET) == 0 &&
              fputc(0, f) != EOF;
  sized &= f && fclose(f) == 0;
  o.path = path;
  tap_ok(sized && sp_task_alloc(&o, &kbad) == SP_ENOMEM,
         "more than SP_TASK_DATA_MAX_TOKENS uint32 ids: SP_ENOMEM");
  remove(path);
  tap_ok(sp_task_data_memory(4 * 1000003LL, 4) == 4.0 * 1000003.0 &&
         sp_task_data_memory(2 * 1000003LL, 2) == 4.0 * 1000003.0,
         "memory of a token file: 4 bytes per id");
  tap_ok(sp_task_data_memory(0, 2) < 0.0 && sp_task_data_memory(7, 2) < 0.0 &&
         sp_task_data_memory(6, 3) < 0.0 &&
         sp_task_data_memory(2 * SP_TASK_DATA_MAX_TOKENS + 2, 2) < 0.0 &&
         sp_task_data_memory(2 * SP_TASK_DATA_MAX_TOKENS, 2) != 0.0,
         "memory of a token file: -1 when empty, partial, bad width or over the limit");
}

static void test_errors(void)
{
  sp_task_options o;
  int st;
  sp_task *kbad = NULL;
  sp_task_options_default(&o);
  o.vocab = 1;
  tap_ok(sp_task_alloc(&o, &kbad) == SP_EDOM, "vocab 1: SP_EDOM");
  sp_task_options_default(&o);
  o.tokens = 31;
  tap_ok(sp_task_alloc(&o, &kbad) == SP_EDOM, "copy with odd T: SP_EDOM");
  sp_task_options_default(&o);
  o.kind = SP_TASK_MARKOV;
  o.gamma = 0.0;
  tap_ok(sp_task_alloc(&o, &kbad) == SP_EDOM, "gamma 0: SP_EDOM");
  sp_task_options_default(&o);
  o.masked = 1;
  o.mask_fraction = 0.0;
  tap_ok(sp_task_alloc(&o, &kbad) == SP_EDOM, "mask fraction 0: SP_EDOM");
  o.mask_fraction = 0.5;
  o.vocab = 2;
  tap_ok(sp_task_alloc(&o, &kbad) == SP_EDOM, "masked with V = 2 (one data id): SP_EDOM");
  sp_task_options_default(&o);
  o.kind = SP_TASK_DATA;
  tap_ok(sp_task_alloc(&o, &kbad) == SP_EDOM, "data without a path: SP_EDOM");
  tap_ok(sp_task_alloc(NULL, &kbad) == SP_EINVAL, "NULL options: SP_EINVAL");
  tap_ok(sp_task_alloc(&o, NULL) == SP_EINVAL && !kbad, "NULL out: SP_EINVAL; *out stays NULL on errors");
  tap_ok(sp_task_batch(NULL, 0, 0, 1, &st, &st) == SP_EINVAL, "NULL task: SP_EINVAL");
  tap_ok(strcmp(sp_task_name(SP_TASK_MARKOV), "markov") == 0, "task names");
}

int main(void)
{
  gsl_set_error_handler_off();
  test_copy();
  test_markov();
  test_data();
  test_errors();
  return tap_done();
}
