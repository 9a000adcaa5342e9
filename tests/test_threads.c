/* Two computations at once in one process: two diagrams (each with its own
 * workspace and worker threads) and two simulations whose first matrix
 * product selects the kernel (a lazy initialisation, done once under
 * pthread_once), each in its own thread, against the same computations run
 * one after the other; the mean-field batch on two threads; and threads
 * that build the panels of one row-overlap table on first use.  Meant for
 * ThreadSanitizer as well.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop.h"
#include "tap.h"
#include "test_util.h"

#include <math.h>
#include <string.h>

#ifdef SP_HAVE_THREADS
#include <pthread.h>

enum { NX = 7, NY = 5, DEPTH = 6 };

typedef struct {
  sp_activation act;
  double rho[NX * NY]; /* rho_L of each point */
  double sim_p;        /* p of the simulated network's last layer */
  int status;
} job;

static int run_diagram(job *j)
{
  sp_model m;
  sp_model_default(&m);
  m.activation = j->act;
  m.depth = DEPTH;
  m.var_b = 0.031;
  sp_axis x = {sp_param_lookup("beta"), 0.37, 2.9, NX, SP_SPACING_LINEAR};
  sp_axis y = {sp_param_lookup("alpha-sa"), 0.13, 2.7, NY, SP_SPACING_LINEAR};
  sp_diagram_options o = tu_diagram_options(2);
  sp_diagram *d;
  int s = tu_diagram_run(&m, &x, &y, &o, 1, &d);
  for (size_t k = 0; !s && k < NX * NY; k++)
    j->rho[k] = sp_diagram_view(d)->pt[k].rho_final;
  sp_diagram_free(d);
  return s;
}

static int run_sim(job *j)
{
  sp_model m;
  sp_model_default(&m);
  m.activation = j->act;
  m.depth = 3;
  m.tokens = 12;
  int s;
  sp_sim *sim = NULL;
  s = sp_sim_alloc(48, 12, 2, 1, 0, &sim);
  if (!sim)
    return s;
  sp_sim_options o;
  sp_sim_options_default(&o);
  sp_sim_layer out[4];
  s = sp_sim_run(sim, &m, &o, 4242UL + (unsigned long)j->act, out, NULL);
  j->sim_p = out[3].p;
  sp_sim_free(sim);
  return s;
}

static void *worker(void *arg)
{
  job *j = arg;
  j->status = run_sim(j);
  if (!j->status)
    j->status = run_diagram(j);
  return NULL;
}

/* Lazily built row-overlap panels: threads that evaluate one fresh table at
 * once, each at lambda in the panels of the others. */
enum { NOVL = 4 };
static sp_overlap_table *shared_ovl;
static const double ovl_lambda[NOVL] = {0.71, 2.23, 1.13, 2.71};
static double ovl_par[NOVL][NOVL];

static void *ovl_worker(void *arg)
{
  long k = (long)(size_t)arg;
  for (int r = 0; r < NOVL; r++)
    if (sp_overlap_table_eval(shared_ovl, ovl_lambda[(k + r) % NOVL], 0.37 + 0.11 * (double)k,
                              &ovl_par[k][(k + r) % NOVL]))
      ovl_par[k][(k + r) % NOVL] = NAN;
  return NULL;
}

static void lazy_overlap(void)
{
  pthread_t t[NOVL];
  int started = 0, same = 1;
  if (sp_overlap_table_alloc(16, &shared_ovl))
    shared_ovl = NULL;
  for (long k = 0; shared_ovl && k < NOVL; k++)
    started += pthread_create(&t[k], NULL, ovl_worker, (void *)(size_t)k) == 0;
  for (int k = 0; k < started; k++)
    pthread_join(t[k], NULL);
  sp_overlap_table *alone = NULL;
  int s = sp_overlap_table_alloc(16, &alone);
  for (int k = 0; !s && k < NOVL; k++)
    for (int r = 0; r < NOVL; r++) {
      double o = NAN;
      s = sp_overlap_table_eval(alone, ovl_lambda[r], 0.37 + 0.11 * (double)k, &o);
      same &= o == ovl_par[k][r];
    }
  tap_ok(started == NOVL && !s && same, "row-overlap panels built by %d threads at once: the "
         "values of a table built alone", NOVL);
  sp_overlap_table_free(alone);
  sp_overlap_table_free(shared_ovl);
}

int main(void)
{
  job par[2] = {{SP_ACT_TANH, {0}, 0.0, -1}, {SP_ACT_GELU, {0}, 0.0, -1}};
  job seq[2] = {par[0], par[1]};
  pthread_t t[2];
  int started = 0;
  for (int i = 0; i < 2; i++)
    started += pthread_create(&t[i], NULL, worker, &par[i]) == 0;
  tap_ok(started == 2, "two threads started");
  for (int i = 0; i < started; i++)
    pthread_join(t[i], NULL);
  for (int i = 0; i < 2; i++)
    worker(&seq[i]);
  for (int i = 0; i < 2; i++) {
    const char *name = sp_activation_name(par[i].act);
    tap_ok(par[i].status == SP_OK && seq[i].status == SP_OK, "%s: both runs succeed (%d, %d)",
           name, par[i].status, seq[i].status);
    tap_ok(memcmp(par[i].rho, seq[i].rho, sizeof par[i].rho) == 0, "%s: concurrent diagram "
           "identical to the one run alone (%d x %d points)", name, NX, NY);
    tap_ok(par[i].sim_p == seq[i].sim_p && par[i].sim_p > 0.0, "%s: concurrent simulation "
           "identical to the one run alone (p_3 = %.6g)", name, par[i].sim_p);
  }
  /* the mean-field batch on two threads against one */
  enum { NB = 9 };
  double sw[NB], sb[NB];
  sp_meanfield m1[NB], m2[NB];
  int st1[NB], st2[NB], same = 1;
  for (int k = 0; k < NB; k++)
    sw[k] = 0.43 + 0.29 * k, sb[k] = 0.017 * k;
  int r = sp_meanfield_solve_batch(SP_ACT_SILU, 1.0, NB, sw, sb, 2, m2, st2)
          | sp_meanfield_solve_batch(SP_ACT_SILU, 1.0, NB, sw, sb, 1, m1, st1);
  for (int k = 0; k < NB; k++)
    same &= st1[k] == st2[k] && m1[k].chi1 == m2[k].chi1 && m1[k].kind == m2[k].kind
            && (m1[k].c_star == m2[k].c_star || (isnan(m1[k].c_star) && isnan(m2[k].c_star)));
  tap_ok(r == SP_OK && same, "mean-field batch on 2 threads identical to 1 thread (%d points)",
         NB);
  lazy_overlap();
  tap_diag("kernel: %s", sp_sim_kernel_name());
  return tap_done();
}
#else
int main(void)
{
  printf("1..0 # SKIP built without threads\n");
  return 0;
}
#endif
