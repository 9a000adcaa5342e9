/* The simulator's random streams: every random matrix is drawn from gsl_rng
 * taus2 generators seeded from (seed, layer, matrix, chunk of rows), so a
 * network is reproducible bit for bit and identical for any number of
 * threads.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/sim.h"
#include "sigprop/status.h"
#include "sim_state.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <stdint.h>

#define GEN_CHUNK 64   /* rows of a random matrix per random stream (at least) */
#define GEN_MAX_CHUNKS 4096 /* random streams per matrix (at most) */

static uint64_t mix64(uint64_t z)
{
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* A bijection of 32-bit integers, so distinct stream numbers give distinct
 * generator seeds. */
static uint32_t mix32(uint32_t h)
{
  h ^= h >> 16;
  h *= 0x85ebca6bU;
  h ^= h >> 13;
  h *= 0xc2b2ae35U;
  h ^= h >> 16;
  return h;
}

/* Seed of stream (layer, kind, chunk) of the network drawn with `seed`:
 * distinct within a network as long as (layer * 16 + kind) * 4096 + chunk
 * < 2^32, i.e. for depth < 65536. */
static unsigned long stream_seed(unsigned long seed, long layer, int kind, long chunk)
{
  uint32_t base = (uint32_t)mix64((uint64_t)seed);
  uint32_t idx = (uint32_t)((((uint64_t)layer * 16u + (uint64_t)kind) << 12) + (uint64_t)chunk);
  return (unsigned long)mix32(base + idx);
}

typedef struct {
  sp_sim *s;
  unsigned long seed;
  long layer;
  const sp_sim_gen *specs;
  int nspecs;
} gen_job;

/* Rows per stream of a matrix with `rows` rows: GEN_CHUNK, or more so that
 * no matrix needs more than GEN_MAX_CHUNKS streams. */
static long chunk_rows(long rows)
{
  long c = (rows + GEN_MAX_CHUNKS - 1) / GEN_MAX_CHUNKS;
  return c > GEN_CHUNK ? c : GEN_CHUNK;
}

static long gen_chunks(const sp_sim_gen *g)
{
  long c = chunk_rows(g->rows);
  return (g->rows + c - 1) / c;
}

static void gen_task(void *ctx, long task, int tid)
{
  const gen_job *job = ctx;
  const sp_sim_gen *g = job->specs;
  for (int i = 0; i < job->nspecs; i++, g++) {
    long nc = gen_chunks(g);
    if (task >= nc) {
      task -= nc;
      continue;
    }
    gsl_rng *r = job->s->rng[tid];
    gsl_rng_set(r, stream_seed(job->seed, job->layer, g->kind, task));
    long c = chunk_rows(g->rows);
    long i0 = task * c, i1 = i0 + c < g->rows ? i0 + c : g->rows;
    for (long row = i0; row < i1; row++) {
      if (g->dst) {
        float *out = g->dst + (size_t)row * (size_t)g->ld;
        for (long j = 0; j < g->cols; j++)
          out[j] = (float)(g->sd * gsl_ran_gaussian_ziggurat(r, 1.0));
      } else {
        /* consecutive columns of a packed row are contiguous within a panel */
        sp_kpack *b = g->pack;
        long nr = sp_kern_nr();
        for (long j = 0; j < g->cols;) {
          long col = g->col0 + j, w = nr - col % nr;
          if (w > g->cols - j)
            w = g->cols - j;
          float *out = b->p + sp_kern_packb_index(b->k, b->n, row, col);
          for (long e = 0; e < w; e++)
            out[e] = (float)(g->sd * gsl_ran_gaussian_ziggurat(r, 1.0));
          j += w;
        }
      }
    }
    return;
  }
}

int sp_sim_draw(unsigned long seed, long layer, int kind, long rows, long cols, double sd,
                float *dst)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
  if (!r)
    return SP_ENOMEM;
  long rc = chunk_rows(rows);
  for (long c = 0; c * rc < rows; c++) {
    gsl_rng_set(r, stream_seed(seed, layer, kind, c));
    for (long i = c * rc; i < rows && i < (c + 1) * rc; i++)
      for (long j = 0; j < cols; j++)
        dst[(size_t)i * (size_t)cols + (size_t)j] = (float)(sd * gsl_ran_gaussian_ziggurat(r, 1.0));
  }
  gsl_rng_free(r);
  return SP_OK;
}

void sp_sim_generate(sp_sim *s, unsigned long seed, long layer, const sp_sim_gen *specs,
                     int nspecs)
{
  gen_job job = {s, seed, layer, specs, nspecs};
  long n = 0;
  for (int i = 0; i < nspecs; i++)
    n += gen_chunks(&specs[i]);
  sp_pool_run(s->pool, n, gen_task, &job);
}
