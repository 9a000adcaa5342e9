/* safetensors reader: files written here by a small writer (all four float
 * dtypes, an integer one, sharded checkpoints), values checked exactly,
 * and every malformed file the reader must refuse.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "tap.h"
#include "test_util.h"

#include "sigprop/safetensors.h"
#include "sigprop/status.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- a small writer --------------------------------------------------- */

typedef struct {
  const char *name, *dtype;
  int ndim;
  uint64_t shape[4];
  const unsigned char *bytes; /* little-endian payload */
  size_t nbytes;
} wtensor;

/* A whole safetensors file in memory: header JSON (padded with spaces to
 * a multiple of 8, as the reference writer does) and the payloads packed in
 * order.  Returns a malloc'd buffer and its size. */
static unsigned char *build(const wtensor *ts, size_t n, const char *meta, size_t *size)
{
  char hdr[8192];
  size_t h = 0, off = 0;
  h += (size_t)snprintf(hdr + h, sizeof hdr - h, "{");
  if (meta)
    h += (size_t)snprintf(hdr + h, sizeof hdr - h, "\"__metadata__\":%s,", meta);
  for (size_t i = 0; i < n; i++) {
    h += (size_t)snprintf(hdr + h, sizeof hdr - h, "%s\"%s\":{\"dtype\":\"%s\",\"shape\":[",
                          i ? "," : "", ts[i].name, ts[i].dtype);
    for (int d = 0; d < ts[i].ndim; d++)
      h += (size_t)snprintf(hdr + h, sizeof hdr - h, "%s%llu", d ? "," : "",
                            (unsigned long long)ts[i].shape[d]);
    h += (size_t)snprintf(hdr + h, sizeof hdr - h, "],\"data_offsets\":[%zu,%zu]}", off,
                          off + ts[i].nbytes);
    off += ts[i].nbytes;
  }
  h += (size_t)snprintf(hdr + h, sizeof hdr - h, "}");
  while (h % 8)
    hdr[h++] = ' ';
  *size = 8 + h + off;
  unsigned char *buf = malloc(*size);
  for (int i = 0; i < 8; i++)
    buf[i] = (unsigned char)((uint64_t)h >> (8 * i));
  memcpy(buf + 8, hdr, h);
  off = 8 + h;
  for (size_t i = 0; i < n; i++) {
    memcpy(buf + off, ts[i].bytes, ts[i].nbytes);
    off += ts[i].nbytes;
  }
  return buf;
}

static int write_file(const char *path, const unsigned char *buf, size_t n)
{
  FILE *fp = fopen(path, "wb");
  if (!fp)
    return -1;
  size_t w = fwrite(buf, 1, n, fp);
  return fclose(fp) == 0 && w == n ? 0 : -1;
}

/* A file of raw header text: length `len` declared, `text` as the header. */
static unsigned char *raw(uint64_t len, const char *text, size_t data, size_t *size)
{
  size_t n = strlen(text);
  *size = 8 + n + data;
  unsigned char *buf = calloc(1, *size);
  for (int i = 0; i < 8; i++)
    buf[i] = (unsigned char)(len >> (8 * i));
  memcpy(buf + 8, text, n);
  return buf;
}

/* ---- deterministic values ---------------------------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15u;
static uint32_t next32(void)
{
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)(rng >> 11);
}

/* A random normal binary16 value: its bits and its value, built apart. */
static void half_value(unsigned char *p, double *x)
{
  unsigned s = next32() & 1, e = 1 + next32() % 30, m = next32() % 1024;
  uint16_t bits = (uint16_t)(s << 15 | e << 10 | m);
  p[0] = (unsigned char)bits;
  p[1] = (unsigned char)(bits >> 8);
  *x = (s ? -1 : 1) * ldexp(1024.0 + m, (int)e - 25);
}

static void bf16_value(unsigned char *p, double *x)
{
  unsigned s = next32() & 1, e = 100 + next32() % 50, m = next32() % 128;
  uint16_t bits = (uint16_t)(s << 15 | e << 7 | m);
  p[0] = (unsigned char)bits;
  p[1] = (unsigned char)(bits >> 8);
  *x = (s ? -1 : 1) * ldexp(128.0 + m, (int)e - 134);
}

static double uniform(void)
{
  return (next32() + 0.5) / 4294967296.0 - 0.5;
}

/* ---- tests --------------------------------------------------------------- */

static int same(const double *a, const double *b, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (!(a[i] == b[i]))
      return 0;
  return 1;
}

static void test_dtypes(void)
{
  double x64[15], x32[7], x16[24], xbf[11], got[24];
  unsigned char b64[120], b32[28], b16[48], bbf[22], bi[32] = {7};
  for (int i = 0; i < 15; i++) {
    x64[i] = uniform() * 3.7;
    memcpy(b64 + 8 * i, &x64[i], 8);
  }
  /* 24-bit integers times 2^-31: exact in float, no rounding to trust
   * (GCC 12 -O3 was seen to keep a double where a float was stored). */
  float f32[7];
  for (int i = 0; i < 7; i++) {
    x32[i] = ldexp((double)(next32() % 16777216u) - 8388608.0, -31);
    f32[i] = (float)x32[i];
  }
  memcpy(b32, f32, sizeof b32);
  for (int i = 0; i < 24; i++)
    half_value(b16 + 2 * i, &x16[i]);
  for (int i = 0; i < 11; i++)
    bf16_value(bbf + 2 * i, &xbf[i]);
  const wtensor ts[] = {
    {"a.f64", "F64", 2, {3, 5}, b64, sizeof b64}, {"b.f32", "F32", 1, {7}, b32, sizeof b32},
    {"c.f16", "F16", 3, {2, 3, 4}, b16, sizeof b16}, {"d.bf16", "BF16", 1, {11}, bbf, sizeof bbf},
    {"e.ids", "I64", 2, {1, 4}, bi, sizeof bi}, {"f.scalar", "F32", 0, {0}, b32, 4},
    {"g.empty", "F16", 2, {0, 9}, b16, 0}};
  size_t size;
  unsigned char *buf = build(ts, 7, "{\"format\":\"pt\"}", &size);
  sp_safetensors *st;
  sp_st_error e;
  int s = sp_safetensors_open_memory(buf, size, "mem", &st, &e);
  if (!tap_ok(s == SP_OK, "open a file of F64, F32, F16, BF16, I64, a scalar and an empty tensor")) {
    tap_diag("%s", e.text);
    free(buf);
    return;
  }
  tap_ok(sp_safetensors_count(st) == 7 && !sp_safetensors_find(st, "__metadata__"),
         "7 tensors, __metadata__ ignored");
  const sp_st_tensor *t = sp_safetensors_find(st, "c.f16");
  tap_ok(t && t->dtype == SP_DTYPE_F16 && t->ndim == 3 && t->shape[2] == 4 && t->count == 24
         && strcmp(t->dtype_name, "F16") == 0, "F16 tensor: dtype, shape, count");
  tap_ok(sp_safetensors_read(st, t, 0, 24, got) == SP_OK && same(got, x16, 24), "F16 exact");
  tap_ok(sp_safetensors_read(st, t, 5, 13, got) == SP_OK && same(got, x16 + 5, 13),
         "F16 range [5, 18)");
  t = sp_safetensors_find(st, "a.f64");
  tap_ok(t && sp_safetensors_read(st, t, 0, 15, got) == SP_OK && same(got, x64, 15), "F64 exact");
  t = sp_safetensors_find(st, "b.f32");
  tap_ok(t && sp_safetensors_read(st, t, 0, 7, got) == SP_OK && same(got, x32, 7), "F32 exact");
  t = sp_safetensors_find(st, "d.bf16");
  tap_ok(t && sp_safetensors_read(st, t, 0, 11, got) == SP_OK && same(got, xbf, 11), "BF16 exact");
  tap_ok(sp_safetensors_read(st, t, 3, 9, got) == SP_EINVAL, "range beyond the tensor: SP_EINVAL");
  t = sp_safetensors_find(st, "e.ids");
  tap_ok(t && t->dtype == SP_DTYPE_OTHER && sp_safetensors_read(st, t, 0, 1, got) == SP_EUNSUP,
         "I64 listed, reading it SP_EUNSUP");
  t = sp_safetensors_find(st, "f.scalar");
  tap_ok(t && t->ndim == 0 && t->count == 1 && sp_safetensors_read(st, t, 0, 1, got) == SP_OK
         && got[0] == x32[0], "scalar tensor");
  t = sp_safetensors_find(st, "g.empty");
  tap_ok(t && t->count == 0 && sp_safetensors_read(st, t, 0, 0, got) == SP_OK, "empty tensor");
  tap_ok(!sp_safetensors_find(st, "missing") && !sp_safetensors_tensor(st, 7)
         && strcmp(sp_safetensors_tensor(st, 0)->name, "a.f64") == 0
         && strcmp(sp_safetensors_file(st, t), "mem") == 0, "lookup by name and index");
  sp_safetensors_free(st);
  free(buf);
}

static void test_numbers(void)
{
  tap_ok(sp_safetensors_half_to_double(0x3c00) == 1 && sp_safetensors_half_to_double(0xc000) == -2
         && sp_safetensors_half_to_double(0x7bff) == 65504 && sp_safetensors_half_to_double(0x0001) == ldexp(1, -24)
         && sp_safetensors_half_to_double(0x0400) == ldexp(1, -14) && isinf(sp_safetensors_half_to_double(0xfc00))
         && sp_safetensors_half_to_double(0xfc00) < 0 && isnan(sp_safetensors_half_to_double(0x7e00)),
         "binary16: 1, -2, max, subnormal, smallest normal, -inf, NaN");
  tap_ok(sp_safetensors_bfloat16_to_double(0x3f80) == 1 && sp_safetensors_bfloat16_to_double(0x4049) == 3.140625
         && sp_safetensors_bfloat16_to_double(0x8000) == 0 && isinf(sp_safetensors_bfloat16_to_double(0x7f80)),
         "bfloat16: 1, 3.140625, -0, inf");
}

static void expect_mem(const unsigned char *buf, size_t size, int want, const char *msg,
                       const char *what)
{
  sp_safetensors *st = (sp_safetensors *)buf; /* must be reset to NULL on failure */
  sp_st_error e;
  int s = sp_safetensors_open_memory(buf, size, "f.safetensors", &st, &e);
  int ok = s == want && st == NULL && strstr(e.text, msg) && !strchr(e.text, '\n');
  tap_ok(ok, "%s", what);
  if (!ok)
    tap_diag("status %d, '%s', want '%s'", s, e.text, msg);
  sp_safetensors_free(s ? NULL : st);
}

static void bad_header(const char *hdr, size_t data, const char *msg, const char *what)
{
  size_t size;
  unsigned char *buf = raw(strlen(hdr), hdr, data, &size);
  expect_mem(buf, size, SP_EPARSE, msg, what);
  free(buf);
}

static void test_errors(void)
{
  size_t size;
  unsigned char five[5] = {1, 2, 3, 4, 5};
  expect_mem(five, 5, SP_EPARSE, "f.safetensors: truncated: 5 bytes, shorter than the 8-byte",
             "5 bytes: truncated");
  unsigned char *buf = raw(1000, "{}", 90, &size);
  expect_mem(buf, size, SP_EPARSE, "header length 1000 (bytes 0-7) goes beyond the end of the "
             "file (100 bytes)", "header length beyond the file");
  free(buf);
  buf = raw(UINT64_C(1) << 63, "{}", 0, &size);
  expect_mem(buf, size, SP_EPARSE, "and the format's 100 MB limit", "header length 2^63");
  free(buf);
  bad_header("{\"a\": [", 0, "bad header: JSON error at byte 15", "bad header JSON: the offset");
  bad_header("[1, 2]  ", 0, "bad header: not a JSON object", "header not an object");
  bad_header("{\"a\": 1}", 0, "tensor 'a': the header entry is not an object", "entry not an object");
  bad_header("{\"w\": {\"dtype\": \"F12\", \"shape\": [2], \"data_offsets\": [0, 4]}}", 4,
             "tensor 'w': unknown dtype 'F12' (known: F64", "unknown dtype");
  bad_header("{\"w\": {\"shape\": [2], \"data_offsets\": [0, 4]}}", 4,
             "tensor 'w': \"dtype\" is missing", "missing dtype");
  bad_header("{\"w\": {\"dtype\": \"F16\", \"shape\": 2, \"data_offsets\": [0, 4]}}", 4,
             "tensor 'w': \"shape\" is not an array", "shape not an array");
  bad_header("{\"w\": {\"dtype\": \"F16\", \"shape\": [2, -1], \"data_offsets\": [0, 4]}}", 4,
             "tensor 'w': \"shape\"[1] is not a size", "negative size");
  bad_header("{\"w\": {\"dtype\": \"F16\", \"shape\": [2], \"data_offsets\": [4, 0]}}", 4,
             "tensor 'w': \"data_offsets\" is not [begin, end]", "begin after end");
  bad_header("{\"w\": {\"dtype\": \"F16\", \"shape\": [2], \"data_offsets\": [0]}}", 4,
             "tensor 'w': \"data_offsets\" is not [begin, end]", "one offset");
  bad_header("{\"w\": {\"dtype\": \"F16\", \"shape\": [3], \"data_offsets\": [0, 6]}}  ", 4,
             "tensor 'w': data_offsets [0, 6] end at byte 77, beyond the end of the file (byte 75)",
             "offsets beyond the data");
  bad_header("{\"w\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 8]}}  ", 16,
             "tensor 'w': 3 elements of F32 need 12 bytes, data_offsets give 8",
             "shape x dtype differs from the offsets");
  bad_header("{\"u\": {\"dtype\": \"F16\", \"shape\": [4], \"data_offsets\": [0, 8]},"
             " \"v\": {\"dtype\": \"F16\", \"shape\": [2], \"data_offsets\": [6, 10]}}", 16,
             "tensor 'v': overlaps tensor 'u' at byte", "overlapping tensors");
  bad_header("{\"w\": {\"dtype\": \"F16\", \"shape\": [1], \"data_offsets\": [0, 2]},"
             " \"w\": {\"dtype\": \"F16\", \"shape\": [1], \"data_offsets\": [2, 4]}}", 4,
             "bad header: JSON error at byte", "duplicate tensor name");
  bad_header("{\"w\": {\"dtype\": \"F16\", \"shape\": [4294967296, 4294967296, 4], "
             "\"data_offsets\": [0, 2]}}", 2, "more than 2^60 elements", "element count overflow");
}

static char dir[256];

static const char *at(const char *name)
{
  return tu_path(dir, name);
}

static void expect_open(const char *path, int want, const char *msg, const char *what)
{
  sp_safetensors *st;
  sp_st_error e;
  int s = sp_safetensors_open(path, &st, &e);
  int ok = s == want && !st && strstr(e.text, msg) && !strchr(e.text, '\n');
  tap_ok(ok, "%s", what);
  if (!ok)
    tap_diag("status %d, '%s', want '%s'", s, e.text, msg);
  sp_safetensors_free(s ? NULL : st);
}

static void test_files(void)
{
  double x[40], got[40];
  unsigned char b[80];
  for (int i = 0; i < 40; i++)
    half_value(b + 2 * i, &x[i]);
  const wtensor one[] = {{"p", "F16", 2, {4, 5}, b, 40}, {"q", "F16", 1, {20}, b + 40, 40}};
  size_t size;
  unsigned char *buf = build(one, 2, NULL, &size);
  write_file(at("model.safetensors"), buf, size);
  sp_safetensors *st;
  sp_st_error e;
  int s = sp_safetensors_open(at("model.safetensors"), &st, &e);
  const sp_st_tensor *t = s ? NULL : sp_safetensors_find(st, "q");
  tap_ok(t && sp_safetensors_read(st, t, 0, 20, got) == SP_OK && same(got, x + 20, 20),
         "a file, memory-mapped: values exact");
  sp_safetensors_free(st);
  write_file(at("cut.safetensors"), buf, size - 3);
  expect_open(at("cut.safetensors"), SP_EPARSE, "tensor 'q': data_offsets [40, 80] end at byte",
              "truncated file: the last tensor ends beyond it");
  write_file(at("empty.safetensors"), buf, 0);
  expect_open(at("empty.safetensors"), SP_EPARSE, "truncated: 0 bytes", "empty file");
  expect_open(at("none.safetensors"), SP_EIO, "none.safetensors: cannot open: No such file",
              "missing file: SP_EIO");
  expect_open(dir, SP_EIO, "not a regular file", "a folder: SP_EIO");
  free(buf);

  /* Sharded: p in shard 1, q in shard 2. */
  unsigned char *s1 = build(one, 1, NULL, &size);
  write_file(at("model-00001-of-00002.safetensors"), s1, size);
  free(s1);
  unsigned char *s2 = build(one + 1, 1, NULL, &size);
  write_file(at("model-00002-of-00002.safetensors"), s2, size);
  free(s2);
  const char *index = "{\"metadata\": {\"total_size\": 80}, \"weight_map\": {"
                      "\"p\": \"model-00001-of-00002.safetensors\","
                      " \"q\": \"model-00002-of-00002.safetensors\"}}";
  write_file(at("model.safetensors.index.json"), (const unsigned char *)index, strlen(index));
  s = sp_safetensors_open(at("model.safetensors.index.json"), &st, &e);
  if (s)
    tap_diag("%s", e.text);
  const sp_st_tensor *p = s ? NULL : sp_safetensors_find(st, "p");
  t = s ? NULL : sp_safetensors_find(st, "q");
  tap_ok(p && t && p->shard != t->shard && sp_safetensors_read(st, p, 0, 20, got) == SP_OK
         && same(got, x, 20) && sp_safetensors_read(st, t, 0, 20, got + 20) == SP_OK
         && same(got + 20, x + 20, 20)
         && strstr(sp_safetensors_file(st, t), "model-00002-of-00002.safetensors"),
         "sharded: two files through the index, values exact");
  sp_safetensors_free(st);

  /* Indexes that must not open: file name, text, status, message, what. */
  static const struct {
    const char *name, *text;
    int status;
    const char *msg, *what;
  } bad_index[] = {
      {"wrong.index.json",
       "{\"weight_map\": {\"p\": \"model-00002-of-00002.safetensors\","
       " \"q\": \"model-00002-of-00002.safetensors\"}}",
       SP_EPARSE, "tensor 'p': listed in the index but missing from "
       "'model-00002-of-00002.safetensors'", "index lists a tensor its shard lacks"},
      {"twice.index.json",
       "{\"weight_map\": {\"p\": \"model-00001-of-00002.safetensors\","
       " \"q\": \"model.safetensors\"}}",
       SP_EPARSE, "tensor 'p': also in", "a tensor in two shards"},
      {"gone.index.json",
       "{\"weight_map\": {\"p\": \"model-00009.safetensors\"}}",
       SP_EIO, "model-00009.safetensors: cannot open: No such file",
       "a shard file missing: SP_EIO naming it"},
      {"nomap.index.json",
       "{\"metadata\": {}}",
       SP_EPARSE, "no \"weight_map\" object", "index without a map"},
      {"badval.index.json",
       "{\"weight_map\": {\"p\": 3}}",
       SP_EPARSE, "tensor 'p': the weight_map entry is not a file", "index entry not a file name"},
  };
  for (size_t i = 0; i < sizeof bad_index / sizeof bad_index[0]; i++) {
    write_file(at(bad_index[i].name), (const unsigned char *)bad_index[i].text,
               strlen(bad_index[i].text));
    expect_open(at(bad_index[i].name), bad_index[i].status, bad_index[i].msg, bad_index[i].what);
  }
  write_file(at("broken.index.json"), (const unsigned char *)"{\"weight_map\": {", 16);
  expect_open(at("broken.index.json"), SP_EPARSE, "broken.index.json: 1:", "index not JSON");
  expect_open(at("absent.index.json"), SP_EIO, "absent.index.json", "index missing: SP_EIO");
  tap_ok(sp_safetensors_open(NULL, &st, &e) == SP_EINVAL
         && sp_safetensors_open_memory(NULL, 3, NULL, &st, &e) == SP_EINVAL, "NULL: SP_EINVAL");
}

int main(void)
{
  if (!tu_tempdir(dir, sizeof dir, "sp_test_st"))
    return 1;
  test_numbers();
  test_dtypes();
  test_errors();
  test_files();
  tu_remove_tree(dir);
  return tap_done();
}
