/* safetensors checkpoints: memory-mapped files, headers checked in full
 * with jansson, tensors converted to double a range at a time.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/safetensors.h"
#include "sigprop/status.h"
#include "grow.h"
#include "errtext.h"
#include "safetensors_private.h"

#include <jansson.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Tensors are little-endian; F64 and F32 are copied as they are. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors.c reads F64 and F32 in the host's byte order: little-endian hosts only"
#endif

typedef struct {
  const unsigned char *base; /* the whole file */
  size_t size;
  uint64_t data_off;         /* 8 + header length */
  int mapped;                /* 1: base is our mmap */
  char *path;
} shard;

struct sp_safetensors {
  shard *shards;
  size_t nshards;
  sp_st_tensor *t;
  size_t n, cap;
  long page;   /* the system's page size */
  float *half; /* binary16 -> float for all 65536 codes (a lookup is twice
                  as fast as the conversion by bits in a reading loop) */
};

/* ---- numbers --------------------------------------------------------- */

double sp_safetensors_half_to_double(uint16_t h)
{
  int e = (h >> 10) & 0x1f, m = h & 0x3ff;
  double s = (h & 0x8000) ? -1.0 : 1.0;
  if (e == 0x1f)
    return m ? NAN : s * INFINITY;
  if (e == 0)
    return s * ldexp(m, -24);
  return s * ldexp(m + 1024, e - 25);
}

double sp_safetensors_bfloat16_to_double(uint16_t b)
{
  uint32_t u = (uint32_t)b << 16;
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

/* binary16 -> float by its bits (exact), to fill a reader's table. */
static float half_to_float(unsigned h)
{
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu, u;
  if (e == 0x1f)
    u = sign | 0x7f800000u | m << 13;
  else if (e)
    u = sign | (e + 112) << 23 | m << 13;
  else if (m) {
    float f = (float)m * 0x1p-24f; /* subnormal: exact */
    return sign ? -f : f;
  } else
    u = sign;
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

static uint64_t le64(const unsigned char *p)
{
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--)
    v = (v << 8) | p[i];
  return v;
}

static const struct { const char *name; sp_dtype dt; unsigned size; } dtypes[] = {
  {"F64", SP_DTYPE_F64, 8}, {"F32", SP_DTYPE_F32, 4}, {"F16", SP_DTYPE_F16, 2},
  {"BF16", SP_DTYPE_BF16, 2}, {"I64", SP_DTYPE_OTHER, 8}, {"U64", SP_DTYPE_OTHER, 8},
  {"I32", SP_DTYPE_OTHER, 4}, {"U32", SP_DTYPE_OTHER, 4}, {"I16", SP_DTYPE_OTHER, 2},
  {"U16", SP_DTYPE_OTHER, 2}, {"I8", SP_DTYPE_OTHER, 1}, {"U8", SP_DTYPE_OTHER, 1},
  {"BOOL", SP_DTYPE_OTHER, 1}, {"F8_E4M3", SP_DTYPE_OTHER, 1}, {"F8_E5M2", SP_DTYPE_OTHER, 1},
};
#define NDTYPES (sizeof dtypes / sizeof dtypes[0])

static unsigned dtype_size(const sp_st_tensor *t)
{
  for (size_t i = 0; i < NDTYPES; i++)
    if (strcmp(t->dtype_name, dtypes[i].name) == 0)
      return dtypes[i].size;
  return 0;
}

/* ---- errors ---------------------------------------------------------- */

int sp_st_error_vset(sp_st_error *e, const char *file, const char *tensor, int width,
                     uint64_t offset, size_t why_max, const char *fmt, va_list ap)
{
  if (!e)
    return SP_EPARSE;
  snprintf(e->tensor, sizeof e->tensor, "%s", tensor ? tensor : "");
  e->offset = offset;
  char what[160];
  snprintf(what, sizeof what, "tensor '%.*s'", width, tensor ? tensor : "");
  sp_errtext_vformat(e->text, sizeof e->text, file, tensor ? what : NULL, why_max, fmt, ap);
  return SP_EPARSE;
}

#if defined(__GNUC__)
__attribute__((format(printf, 5, 6)))
#endif
static int fail(sp_st_error *err, const char *file, const char *tensor, uint64_t offset,
                const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int s = sp_st_error_vset(err, file, tensor, 100, offset, 600, fmt, ap);
  va_end(ap);
  return s;
}

/* ---- the header -------------------------------------------------------- */

static int add_tensor(sp_safetensors *st, const char *name, sp_st_tensor **out)
{
  if (sp_grow(&st->t, &st->cap, st->n, sizeof *st->t, 64))
    return SP_ENOMEM;
  sp_st_tensor *t = &st->t[st->n];
  memset(t, 0, sizeof *t);
  if (!(t->name = strdup(name)))
    return SP_ENOMEM;
  st->n++;
  *out = t;
  return SP_OK;
}

/* A JSON integer in [0, 2^62]. */
static int get_u62(const json_t *v, uint64_t *out)
{
  if (!json_is_integer(v) || json_integer_value(v) < 0
      || (uint64_t)json_integer_value(v) > (UINT64_C(1) << 62))
    return 0;
  *out = (uint64_t)json_integer_value(v);
  return 1;
}

static int entry_shape(sp_st_tensor *t, const json_t *shape, const char *file, sp_st_error *err)
{
  const char *nm = t->name;
  if (!json_is_array(shape) || json_array_size(shape) > SP_ST_MAX_DIM)
    return fail(err, file, nm, 0, "\"shape\" is not an array of at most %d sizes", SP_ST_MAX_DIM);
  t->ndim = (int)json_array_size(shape);
  t->count = 1;
  for (int i = 0; i < t->ndim; i++) {
    if (!get_u62(json_array_get(shape, (size_t)i), &t->shape[i]))
      return fail(err, file, nm, 0, "\"shape\"[%d] is not a size (a non-negative integer)", i);
    if (t->shape[i] && t->count > (UINT64_C(1) << 60) / t->shape[i])
      return fail(err, file, nm, 0, "\"shape\" has more than 2^60 elements");
    t->count *= t->shape[i];
  }
  return SP_OK;
}

/* One header entry: dtype, shape and offsets, checked against the data
 * section of `data_size` bytes that starts at byte `data_off`. */
static int parse_entry(sp_st_tensor *t, const json_t *v, uint64_t data_off, uint64_t data_size,
                       const char *file, sp_st_error *err)
{
  const char *nm = t->name;
  if (!json_is_object(v))
    return fail(err, file, nm, 0, "the header entry is not an object");
  const json_t *dt = json_object_get(v, "dtype"), *offs = json_object_get(v, "data_offsets");
  if (!json_is_string(dt))
    return fail(err, file, nm, 0, "\"dtype\" is missing or not a string");
  snprintf(t->dtype_name, sizeof t->dtype_name, "%s", json_string_value(dt));
  unsigned es = strlen(json_string_value(dt)) < sizeof t->dtype_name ? dtype_size(t) : 0;
  if (!es)
    return fail(err, file, nm, 0, "unknown dtype '%.20s' (known: F64, F32, F16, BF16, I64, U64, "
                "I32, U32, I16, U16, I8, U8, BOOL, F8_E4M3, F8_E5M2)", json_string_value(dt));
  t->dtype = SP_DTYPE_OTHER;
  for (size_t i = 0; i < NDTYPES; i++)
    if (strcmp(t->dtype_name, dtypes[i].name) == 0)
      t->dtype = dtypes[i].dt;
  int s = entry_shape(t, json_object_get(v, "shape"), file, err);
  if (s)
    return s;
  if (!json_is_array(offs) || json_array_size(offs) != 2
      || !get_u62(json_array_get(offs, 0), &t->begin) || !get_u62(json_array_get(offs, 1), &t->end)
      || t->begin > t->end)
    return fail(err, file, nm, 0, "\"data_offsets\" is not [begin, end] with 0 <= begin <= end");
  if (t->end > data_size)
    return fail(err, file, nm, data_off + t->end, "data_offsets [%" PRIu64 ", %" PRIu64 "] end "
                "at byte %" PRIu64 ", beyond the end of the file (byte %" PRIu64 ")", t->begin,
                t->end, data_off + t->end, data_off + data_size);
  if (t->count > (UINT64_C(1) << 62) / es || t->end - t->begin != t->count * es)
    return fail(err, file, nm, data_off + t->begin, "%" PRIu64 " elements of %s need %" PRIu64
                " bytes, data_offsets give %" PRIu64, t->count, t->dtype_name,
                t->count * (uint64_t)es, t->end - t->begin);
  return SP_OK;
}

static int by_begin(const void *a, const void *b)
{
  const sp_st_tensor *x = *(const sp_st_tensor *const *)a, *y = *(const sp_st_tensor *const *)b;
  return x->begin < y->begin ? -1 : x->begin > y->begin ? 1 : 0;
}

/* No two non-empty tensors of shard `sh` share a byte. */
static int check_overlap(sp_safetensors *st, size_t first, size_t sh, const char *file,
                         sp_st_error *err)
{
  size_t n = st->n - first;
  if (n < 2)
    return SP_OK;
  const sp_st_tensor **v = malloc(n * sizeof *v);
  if (!v)
    return SP_ENOMEM;
  size_t k = 0;
  for (size_t i = first; i < st->n; i++)
    if (st->t[i].end > st->t[i].begin)
      v[k++] = &st->t[i];
  qsort(v, k, sizeof *v, by_begin);
  int s = SP_OK;
  for (size_t i = 1; i < k && !s; i++)
    if (v[i]->begin < v[i - 1]->end)
      s = fail(err, file, v[i]->name, st->shards[sh].data_off + v[i]->begin, "overlaps tensor "
               "'%.100s' at byte %" PRIu64, v[i - 1]->name, st->shards[sh].data_off + v[i]->begin);
  free(v);
  return s;
}

static int parse_entries(sp_safetensors *st, size_t sh, const json_t *root, uint64_t data_size,
                         const char *file, sp_st_error *err)
{
  size_t first = st->n;
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)root, key, v) {
    if (strcmp(key, "__metadata__") == 0)
      continue;
    sp_st_tensor *t;
    int s = add_tensor(st, key, &t);
    if (s)
      return s;
    t->shard = sh;
    if ((s = parse_entry(t, v, st->shards[sh].data_off, data_size, file, err)))
      return s;
  }
  return check_overlap(st, first, sh, file, err);
}

/* The header of shard `sh`, whose bytes are already in place. */
static int parse_header(sp_safetensors *st, size_t sh, sp_st_error *err)
{
  shard *f = &st->shards[sh];
  const char *file = f->path;
  if (f->size < 8)
    return fail(err, file, NULL, f->size, "truncated: %zu bytes, shorter than the 8-byte header "
                "length", f->size);
  uint64_t n = le64(f->base);
  if (n > SP_ST_MAX_HEADER || n > f->size - 8)
    return fail(err, file, NULL, 0, "header length %" PRIu64 " (bytes 0-7) goes beyond the end of "
                "the file (%zu bytes)%s", n, f->size, n > SP_ST_MAX_HEADER ? " and the format's "
                "100 MB limit" : "");
  f->data_off = 8 + n;
  json_error_t je;
  json_t *root = json_loadb((const char *)f->base + 8, (size_t)n, JSON_REJECT_DUPLICATES, &je);
  if (!root) {
    if (json_error_code(&je) == json_error_out_of_memory)
      return SP_ENOMEM;
    uint64_t at = 8 + (uint64_t)(je.position > 0 ? je.position : 0);
    return fail(err, file, NULL, at, "bad header: JSON error at byte %" PRIu64 ": %s", at, je.text);
  }
  int s = json_is_object(root)
            ? parse_entries(st, sh, root, f->size - f->data_off, file, err)
            : fail(err, file, NULL, 8, "bad header: not a JSON object");
  json_decref(root);
  return s;
}

/* ---- opening ---------------------------------------------------------- */

static int by_name(const void *a, const void *b)
{
  return strcmp(((const sp_st_tensor *)a)->name, ((const sp_st_tensor *)b)->name);
}

static int add_shard(sp_safetensors *st, const char *path, size_t *idx)
{
  shard *v = realloc(st->shards, (st->nshards + 1) * sizeof *v);
  if (!v)
    return SP_ENOMEM;
  st->shards = v;
  memset(&v[st->nshards], 0, sizeof *v);
  if (!(v[st->nshards].path = strdup(path)))
    return SP_ENOMEM;
  *idx = st->nshards++;
  return SP_OK;
}

static int map_file(shard *f, sp_st_error *err)
{
  int fd = open(f->path, O_RDONLY | O_CLOEXEC);
  struct stat sb;
  if (fd < 0 || fstat(fd, &sb) != 0) {
    int e = errno;
    if (fd >= 0)
      close(fd);
    fail(err, f->path, NULL, 0, "cannot open: %s", strerror(e));
    return SP_EIO;
  }
  if (!S_ISREG(sb.st_mode)) {
    close(fd);
    fail(err, f->path, NULL, 0, "not a regular file");
    return SP_EIO;
  }
  f->size = (size_t)sb.st_size;
  if (f->size > 0) {
    void *p = mmap(NULL, f->size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      int e = errno;
      close(fd);
      fail(err, f->path, NULL, 0, "cannot map: %s", strerror(e));
      return e == ENOMEM ? SP_ENOMEM : SP_EIO;
    }
    f->base = p;
    f->mapped = 1;
  }
  close(fd);
  return SP_OK;
}

static int new_reader(sp_safetensors **out)
{
  sp_safetensors *st = calloc(1, sizeof *st);
  if (!st || !(st->half = malloc(65536 * sizeof *st->half))) {
    free(st);
    return SP_ENOMEM;
  }
  for (unsigned h = 0; h < 65536; h++)
    st->half[h] = half_to_float(h);
  long page = sysconf(_SC_PAGESIZE);
  st->page = page > 0 && (page & (page - 1)) == 0 ? page : 4096;
  *out = st;
  return SP_OK;
}

/* Sort by name; a name twice (in two shards) is an error. */
static int finish(sp_safetensors *st, sp_st_error *err)
{
  if (st->n)
    qsort(st->t, st->n, sizeof *st->t, by_name);
  for (size_t i = 1; i < st->n; i++)
    if (strcmp(st->t[i].name, st->t[i - 1].name) == 0)
      return fail(err, st->shards[st->t[i].shard].path, st->t[i].name, 0, "also in '%.200s'",
                  st->shards[st->t[i - 1].shard].path);
  return SP_OK;
}

int sp_safetensors_open_memory(const void *data, size_t size, const char *name,
                               sp_safetensors **out, sp_st_error *err)
{
  if (err)
    memset(err, 0, sizeof *err);
  if (!out || (!data && size))
    return SP_EINVAL;
  *out = NULL;
  sp_safetensors *st = NULL;
  size_t sh;
  int s = new_reader(&st);
  if (!s && !(s = add_shard(st, name ? name : "<memory>", &sh))) {
    st->shards[sh].base = data;
    st->shards[sh].size = size;
    s = parse_header(st, sh, err);
  }
  if (!s)
    s = finish(st, err);
  if (s) {
    sp_safetensors_free(st);
    return s;
  }
  *out = st;
  return SP_OK;
}

static void shard_path(char *path, size_t size, const char *dir, const char *rel)
{
  snprintf(path, size, "%s%s", rel[0] == '/' ? "" : dir, rel);
}

/* Open shard file `rel` of an index in folder `dir` (once). */
static int open_shard(sp_safetensors *st, const char *dir, const char *rel, size_t *idx,
                      sp_st_error *err)
{
  char path[4096];
  shard_path(path, sizeof path, dir, rel);
  for (size_t i = 0; i < st->nshards; i++)
    if (strcmp(st->shards[i].path, path) == 0) {
      *idx = i;
      return SP_OK;
    }
  int s = add_shard(st, path, idx);
  if (!s)
    s = map_file(&st->shards[*idx], err);
  return s ? s : parse_header(st, *idx, err);
}

static int open_index(sp_safetensors *st, const char *path, sp_st_error *err)
{
  json_error_t je;
  json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
  if (!root) {
    if (json_error_code(&je) == json_error_cannot_open_file) {
      fail(err, path, NULL, 0, "%s", je.text);
      return SP_EIO;
    }
    return fail(err, path, NULL, 0, "%d:%d: %s", je.line, je.column, je.text);
  }
  const json_t *map = json_object_get(root, "weight_map");
  int s = json_is_object(map) ? SP_OK : fail(err, path, NULL, 0, "no \"weight_map\" object");
  const char *slash = strrchr(path, '/');
  char dir[4096];
  snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path + 1) : 0, path);
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)map, key, v) {
    size_t sh;
    if (s)
      break;
    if (!json_is_string(v) || !json_string_value(v)[0])
      s = fail(err, path, key, 0, "the weight_map entry is not a file name");
    else
      s = open_shard(st, dir, json_string_value(v), &sh, err);
  }
  if (!s && (s = finish(st, err)) == SP_OK) {
    json_object_foreach((json_t *)map, key, v) {
      const sp_st_tensor *t = sp_safetensors_find(st, key);
      char want[4096];
      shard_path(want, sizeof want, dir, json_string_value(v));
      if (!t || strcmp(st->shards[t->shard].path, want) != 0) {
        s = fail(err, path, key, 0, "listed in the index but missing from '%.200s'",
                 json_string_value(v));
        break;
      }
    }
  }
  json_decref(root);
  return s;
}

int sp_safetensors_open(const char *path, sp_safetensors **out, sp_st_error *err)
{
  if (err)
    memset(err, 0, sizeof *err);
  if (!path || !out)
    return SP_EINVAL;
  *out = NULL;
  sp_safetensors *st;
  int s = new_reader(&st);
  if (s)
    return s;
  size_t n = strlen(path), sh;
  if (n >= 5 && strcmp(path + n - 5, ".json") == 0)
    s = open_index(st, path, err);
  else if (!(s = add_shard(st, path, &sh)) && !(s = map_file(&st->shards[sh], err))
           && !(s = parse_header(st, sh, err)))
    s = finish(st, err);
  if (s) {
    sp_safetensors_free(st);
    return s;
  }
  *out = st;
  return SP_OK;
}

void sp_safetensors_free(sp_safetensors *st)
{
  if (!st)
    return;
  for (size_t i = 0; i < st->nshards; i++) {
    if (st->shards[i].mapped)
      munmap((void *)st->shards[i].base, st->shards[i].size);
    free(st->shards[i].path);
  }
  for (size_t i = 0; i < st->n; i++)
    free((char *)st->t[i].name);
  free(st->shards);
  free(st->t);
  free(st->half);
  free(st);
}

/* ---- access ----------------------------------------------------------- */

size_t sp_safetensors_count(const sp_safetensors *st)
{
  return st ? st->n : 0;
}

const sp_st_tensor *sp_safetensors_tensor(const sp_safetensors *st, size_t i)
{
  return st && i < st->n ? &st->t[i] : NULL;
}

const sp_st_tensor *sp_safetensors_find(const sp_safetensors *st, const char *name)
{
  if (!st || !name || !st->n)
    return NULL;
  sp_st_tensor key = {.name = name};
  return bsearch(&key, st->t, st->n, sizeof *st->t, by_name);
}

const char *sp_safetensors_file(const sp_safetensors *st, const sp_st_tensor *t)
{
  return st && t && t->shard < st->nshards ? st->shards[t->shard].path : NULL;
}

/* Give back the pages around [p, p + n): those it touches, partial ones
 * included, and those within RELEASE_BEHIND before it and RELEASE_AHEAD
 * after it, which the kernel maps along with a faulting page (fault-around,
 * large folios) and which would otherwise stay resident.  The mapping is a
 * read-only file mapping: a page given back is read again from the page
 * cache when touched. */
#define RELEASE_BEHIND (4u << 20)
#define RELEASE_AHEAD (2u << 20)

static void release(const sp_safetensors *st, const shard *f, const unsigned char *p, size_t n)
{
  uintptr_t page = (uintptr_t)st->page, lo = (uintptr_t)f->base, hi = lo + f->size;
  if (!f->mapped)
    return;
  uintptr_t a = (uintptr_t)p > lo + RELEASE_BEHIND ? (uintptr_t)p - RELEASE_BEHIND : lo;
  uintptr_t b = (uintptr_t)p + n + RELEASE_AHEAD < hi ? (uintptr_t)p + n + RELEASE_AHEAD : hi;
  a &= ~(page - 1);
  b = (b + page - 1) & ~(page - 1);
  if (b > a)
    madvise((void *)a, b - a, MADV_DONTNEED);
}

int sp_safetensors_read(const sp_safetensors *st, const sp_st_tensor *t, uint64_t first, size_t n,
                        double *out)
{
  if (!st || !t || (!out && n) || t->shard >= st->nshards || first > t->count
      || n > t->count - first)
    return SP_EINVAL;
  if (t->dtype == SP_DTYPE_OTHER)
    return SP_EUNSUP;
  const shard *f = &st->shards[t->shard];
  unsigned es = t->dtype == SP_DTYPE_F64 ? 8 : t->dtype == SP_DTYPE_F32 ? 4 : 2;
  const unsigned char *p = f->base + f->data_off + t->begin + first * es;
  switch (t->dtype) {
  case SP_DTYPE_F64:
    memcpy(out, p, n * sizeof *out);
    break;
  case SP_DTYPE_F32:
    for (size_t i = 0; i < n; i++) {
      float x;
      memcpy(&x, p + 4 * i, sizeof x);
      out[i] = x;
    }
    break;
  case SP_DTYPE_F16:
    for (size_t i = 0; i < n; i++)
      out[i] = st->half[p[2 * i] | (unsigned)p[2 * i + 1] << 8];
    break;
  default: /* BF16 */
    for (size_t i = 0; i < n; i++) {
      uint32_t u = ((uint32_t)p[2 * i] | (uint32_t)p[2 * i + 1] << 8) << 16;
      float x;
      memcpy(&x, &u, sizeof x);
      out[i] = x;
    }
    break;
  }
  release(st, f, p, n * es);
  return SP_OK;
}
