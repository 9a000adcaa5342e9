/* The simulator's memory plan: the sizes of its buffers, the estimate
 * sp_sim_memory() reports, and the workspace's allocation and release.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/sim.h"
#include "sigprop/status.h"
#include "sim_state.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ALIGN 64

/* ---- sizes ---------------------------------------------------------- */

typedef struct {
  double thread_floats; /* per thread */
  double floats, doubles;
} layout;

static long round_up(long a, long b) { return (a + b - 1) / b * b; }

static long rows_per_task(void)
{
  long mr = sp_kern_mr();
  return round_up(SP_SIM_ROWS_TARGET, mr);
}

static double packf(long k, long n)
{
  long nr = sp_kern_nr();
  return (double)k * (double)round_up(n, nr);
}

/* What sp_sim_alloc allocates, in floats and doubles (the same formulas). */
static void compute_layout(long d, long T, long H, int grad, int jac, layout *l)
{
  long dh = d / H, dff = d, mb = rows_per_task(), nblk = (T + mb - 1) / mb;
  double Td = (double)T * (double)d, tpad = (double)round_up(T, sp_kern_nr());
  double wq = packf(d, 3 * d), wm = packf(d, dff) + packf(dff, d);
  double heads_kt = fmax((double)H * packf(dh, T), packf(d, T));
  double nb = fmax((double)nblk, (double)(d / SP_SIM_PROJ_ROWS + 1));
  l->thread_floats = (double)sp_kern_work_floats() +
                     (double)mb * tpad * (1.0 + (grad ? 1.0 : 0.0) + (jac ? 1.0 : 0.0));
  /* x, xa, qkv (3), y; hid; packed weights; biases; per-head packs */
  l->floats = 6.0 * Td + (double)T * (double)dff + fmax(wq, wm) + 2.0 * (double)d +
              (double)dff + heads_kt + (double)H * packf(T, dh);
  if (grad) /* delta, dq; dw; per-head packs; packed dq */
    l->floats += 2.0 * Td + (double)d * (double)d + (double)H * (packf(dh, T) + packf(T, dh)) +
                 packf(T, d);
  if (jac) /* tx, tqkv, ty per tangent; txa; thid, dphi; per-head packs per tangent */
    l->floats += (double)SP_SIM_NTAN * 5.0 * Td + Td + 2.0 * (double)T * (double)dff +
                 (double)SP_SIM_NTAN * (fmax((double)H * packf(dh, T), packf(d, T)) +
                                 (double)H * packf(T, dh));
  /* rowstat, colsum, norms, blk, colacc */
  l->doubles = 4.0 * (double)H * (double)T + (double)H * (double)nblk * (double)T + (double)T +
               3.0 * nb + (double)(d > dff ? d : dff);
}

static int online_threads(int threads)
{
  if (threads > 0)
    return threads;
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int)(n > 1024 ? 1024 : n) : 1;
}

static int check_sizes(long width, long tokens, long heads)
{
  if (width < 2 || tokens < 2 || heads < 1 || heads > width || width % heads != 0)
    return SP_EDOM;
  return SP_OK;
}

int sp_sim_memory(long width, long tokens, long heads, int threads, unsigned flags, double *bytes)
{
  if (!bytes)
    return SP_EINVAL;
  int s = check_sizes(width, tokens, heads);
  if (s)
    return s;
  layout l;
  compute_layout(width, tokens, heads, (flags & SP_SIM_GRADIENT) != 0,
                 (flags & SP_SIM_JACOBIAN) != 0, &l);
  int n = online_threads(threads);
  *bytes = 4.0 * (l.floats + (double)n * l.thread_floats) + 8.0 * l.doubles +
           (double)n * 4096.0 /* random generators, bookkeeping */ + 65536.0;
  return SP_OK;
}

double sp_sim_memory_limit(void)
{
  long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || size <= 0)
    return 0.0;
  return (double)pages * (double)size;
}

const char *sp_sim_kernel_name(void)
{
  return sp_kern_name();
}

int sp_sim_threads(const sp_sim *s)
{
  return s->nthreads;
}

/* ---- allocation ---------------------------------------------------- */

/* n elements of `size` bytes, aligned to ALIGN, in a whole number of ALIGN
 * blocks (one at least). */
static void *alloc_aligned(double n, size_t size)
{
  size_t bytes = (size_t)n * size;
  bytes = (bytes + ALIGN - 1) / ALIGN * ALIGN;
  if (bytes == 0)
    bytes = ALIGN;
  return aligned_alloc(ALIGN, bytes);
}

static void *alloc_floats(double n)
{
  return alloc_aligned(n, sizeof(float));
}

static void *alloc_doubles(double n)
{
  return alloc_aligned(n, sizeof(double));
}

void sp_sim_free(sp_sim *s)
{
  if (!s)
    return;
  sp_pool_free(s->pool);
  for (int i = 0; i < s->nthreads; i++) {
    if (s->rng)
      gsl_rng_free(s->rng[i]);
    if (s->work)
      free(s->work[i]);
    if (s->sbuf)
      free(s->sbuf[i]);
    if (s->gbuf)
      free(s->gbuf[i]);
    if (s->jbuf)
      free(s->jbuf[i]);
  }
  free(s->jbuf);
  for (int j = 0; j < SP_SIM_NTAN; j++) {
    free(s->tx[j]);
    free(s->tqkv[j]);
    free(s->ty[j]);
    free(s->tkt[j]);
    free(s->tvp[j]);
  }
  free(s->txa);
  free(s->thid);
  free(s->dphi);
  free(s->rng);
  free(s->work);
  free(s->sbuf);
  free(s->gbuf);
  free(s->x);
  free(s->xa);
  free(s->qkv);
  free(s->y);
  free(s->hid);
  free(s->wp);
  free(s->bias);
  free(s->kt);
  free(s->vp);
  free(s->rowstat);
  free(s->colsum);
  free(s->norms);
  free(s->blk);
  free(s->colacc);
  free(s->delta);
  free(s->dq);
  free(s->dw);
  free(s->vt);
  free(s->kp);
  free(s->dqp);
  free(s);
}

/* Per-thread buffers: generator, packing buffer, score rows (and their
 * gradient and tangent counterparts). */
static int alloc_thread_buffers(sp_sim *s, int grad, int jac)
{
  int n = s->nthreads;
  s->rng = calloc((size_t)n, sizeof *s->rng);
  s->work = calloc((size_t)n, sizeof *s->work);
  s->sbuf = calloc((size_t)n, sizeof *s->sbuf);
  s->gbuf = calloc((size_t)n, sizeof *s->gbuf);
  s->jbuf = calloc((size_t)n, sizeof *s->jbuf);
  if (!s->rng || !s->work || !s->sbuf || !s->gbuf || !s->jbuf)
    return SP_ENOMEM;
  for (int i = 0; i < n; i++) {
    s->rng[i] = gsl_rng_alloc(gsl_rng_taus2);
    s->work[i] = alloc_floats((double)sp_kern_work_floats());
    s->sbuf[i] = alloc_floats((double)s->mb * (double)s->tpad);
    if (grad)
      s->gbuf[i] = alloc_floats((double)s->mb * (double)s->tpad);
    if (jac)
      s->jbuf[i] = alloc_floats((double)s->mb * (double)s->tpad);
    if (!s->rng[i] || !s->work[i] || !s->sbuf[i] || (grad && !s->gbuf[i]) ||
        (jac && !s->jbuf[i]))
      return SP_ENOMEM;
  }
  return SP_OK;
}

/* Buffers of the forward pass and its statistics. */
static int alloc_forward(sp_sim *s)
{
  long d = s->d, T = s->T, H = s->H;
  double Td = (double)T * (double)d;
  double wq = packf(d, 3 * d), wm = packf(d, s->dff) + packf(s->dff, d);
  double headpack = fmax((double)H * packf(s->dh, T), packf(d, T));
  long nb = s->nblk > d / SP_SIM_PROJ_ROWS + 1 ? s->nblk : d / SP_SIM_PROJ_ROWS + 1;
  s->x = alloc_floats(Td);
  s->xa = alloc_floats(Td);
  s->qkv = alloc_floats(3.0 * Td);
  s->y = alloc_floats(Td);
  s->hid = alloc_floats((double)T * (double)s->dff);
  s->wp = alloc_floats(wq > wm ? wq : wm);
  s->bias = alloc_floats(2.0 * (double)d + (double)s->dff);
  s->kt = alloc_floats(headpack);
  s->vp = alloc_floats((double)H * packf(T, s->dh));
  s->rowstat = alloc_doubles(4.0 * (double)H * (double)T);
  s->colsum = alloc_doubles((double)H * (double)s->nblk * (double)T);
  s->norms = alloc_doubles((double)T);
  s->blk = alloc_doubles(3.0 * (double)nb);
  s->colacc = alloc_doubles((double)(d > s->dff ? d : s->dff));
  if (!s->x || !s->xa || !s->qkv || !s->y || !s->hid || !s->wp || !s->bias || !s->kt ||
      !s->vp || !s->rowstat || !s->colsum || !s->norms || !s->blk || !s->colacc)
    return SP_ENOMEM;
  return SP_OK;
}

/* Buffers of the query-weight gradient. */
static int alloc_gradient(sp_sim *s)
{
  long d = s->d, T = s->T, H = s->H;
  double Td = (double)T * (double)d;
  s->delta = alloc_floats(Td);
  s->dq = alloc_floats(Td);
  s->dw = alloc_floats((double)d * (double)d);
  s->vt = alloc_floats((double)H * packf(s->dh, T));
  s->kp = alloc_floats((double)H * packf(T, s->dh));
  s->dqp = alloc_floats(packf(T, d));
  if (!s->delta || !s->dq || !s->dw || !s->vt || !s->kp || !s->dqp)
    return SP_ENOMEM;
  return SP_OK;
}

/* Buffers of the Jacobian's tangents. */
static int alloc_tangents(sp_sim *s)
{
  long d = s->d, T = s->T, H = s->H;
  double Td = (double)T * (double)d;
  double headpack = fmax((double)H * packf(s->dh, T), packf(d, T));
  for (int j = 0; j < SP_SIM_NTAN; j++) {
    s->tx[j] = alloc_floats(Td);
    s->tqkv[j] = alloc_floats(3.0 * Td);
    s->ty[j] = alloc_floats(Td);
    s->tkt[j] = alloc_floats(headpack);
    s->tvp[j] = alloc_floats((double)H * packf(T, s->dh));
    if (!s->tx[j] || !s->tqkv[j] || !s->ty[j] || !s->tkt[j] || !s->tvp[j])
      return SP_ENOMEM;
  }
  s->txa = alloc_floats(Td);
  s->thid = alloc_floats((double)T * (double)s->dff);
  s->dphi = alloc_floats((double)T * (double)s->dff);
  if (!s->txa || !s->thid || !s->dphi)
    return SP_ENOMEM;
  return SP_OK;
}

int sp_sim_alloc(long width, long tokens, long heads, int threads, unsigned flags, sp_sim **out)
{
  if (!out)
    return SP_EINVAL;
  *out = NULL;
  double bytes;
  int st = sp_sim_memory(width, tokens, heads, threads, flags, &bytes);
  if (st)
    return st;
  double limit = sp_sim_memory_limit();
  if ((limit > 0.0 && bytes > limit) || bytes > (double)SIZE_MAX / 2)
    return SP_ENOMEM;
  sp_sim *s = calloc(1, sizeof *s);
  if (!s)
    return SP_ENOMEM;
  int grad = (flags & SP_SIM_GRADIENT) != 0, jac = (flags & SP_SIM_JACOBIAN) != 0;
  s->d = width;
  s->T = tokens;
  s->H = heads;
  s->dh = width / heads;
  s->dff = width;
  s->flags = flags;
  s->mb = rows_per_task();
  s->nblk = (tokens + s->mb - 1) / s->mb;
  s->tpad = round_up(tokens, sp_kern_nr());
  s->pool = sp_pool_new(online_threads(threads));
  if (!s->pool)
    goto nomem;
  s->nthreads = sp_pool_size(s->pool);
  if (alloc_thread_buffers(s, grad, jac) || alloc_forward(s) || (grad && alloc_gradient(s)) ||
      (jac && alloc_tangents(s)))
    goto nomem;
  *out = s;
  return SP_OK;
nomem:
  sp_sim_free(s);
  return SP_ENOMEM;
}

void sp_sim_options_default(sp_sim_options *o)
{
  memset(o, 0, sizeof *o);
}
