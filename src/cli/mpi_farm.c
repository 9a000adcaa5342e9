/* Dynamic load balancing over MPI ranks: rank 0 hands out chunks of work
 * items on request and gathers their results, while a thread of its own
 * computes chunks too; the other ranks ask, compute, send back, ask again.
 * Chunks are guided (half a rank's share of what is left, at least the
 * grain), so the last ones are small and the ranks finish together.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "cli.h"
#include "mpi_split.h"

#include <mpi.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { TAG_ASK = CLI_MPI_TAG_ASK, TAG_DATA = 32, TAG_TEXT = CLI_MPI_TAG_TEXT, TAG_WORK = 34 };
enum { HEAD_KIND, HEAD_CODE, HEAD_FIRST, HEAD_COUNT, HEAD_GRAIN, HEAD_N = CLI_MPI_HEAD_N };
/* One message of results stays well below 2^31 bytes. */
#define CHUNK_BYTES_MAX ((size_t)256 << 20)
#define TEXT_MAX CLI_MPI_TEXT_MAX

typedef struct {
  const cli_farm *f;
  pthread_mutex_t lock;
  size_t next, done; /* first item not handed out; items finished */
  int local_code;    /* rank 0's own failure */
  int local_over;    /* rank 0's thread has finished */
} farm_state;

/* The next chunk for a rank computing `grain` items at a time: [*first,
 * *first + *count), *count 0 when all are handed out.  Under the lock. */
static void take(farm_state *st, size_t grain, size_t *first, size_t *count)
{
  const cli_farm *f = st->f;
  size_t left = f->n - st->next, ranks = (size_t)cli_mpi_size();
  size_t c = left / (2 * ranks), cap = CHUNK_BYTES_MAX / (f->item_bytes ? f->item_bytes : 1);
  if (c < grain)
    c = grain;
  if (c > cap)
    c = cap;
  if (c < 1)
    c = 1;
  if (c > left)
    c = left;
  *first = st->next;
  *count = c;
  st->next += c;
}

/* The failure SIGPROP_MPI_FAIL=RANK injects on that rank as it starts its
 * share of the work, or with RANK:before just before the work starts (as
 * a rank that cannot read a file); how the tests make a chosen rank fail.
 * CLI_OK elsewhere. */
static int injected(const cli_farm *f, int before)
{
  const char *e = getenv("SIGPROP_MPI_FAIL");
  char *end;
  if (!e || !*e)
    return CLI_OK;
  long r = strtol(e, &end, 10);
  if (r != cli_mpi_rank() || (strcmp(end, ":before") == 0) != before)
    return CLI_OK;
  return cli_error(CLI_FAIL, "%s: rank %ld: failure injected by SIGPROP_MPI_FAIL%s", f->what, r,
                   before ? " before the work" : "");
}

/* Rank 0's own share, on a thread of its own (the main thread serves). */
static void *local_worker(void *arg)
{
  farm_state *st = arg;
  const cli_farm *f = st->f;
  int r = injected(f, 0);
  for (; !r;) {
    size_t first, count;
    pthread_mutex_lock(&st->lock);
    take(st, f->grain, &first, &count);
    pthread_mutex_unlock(&st->lock);
    if (!count)
      break;
    r = f->compute(f->ctx, first, count);
    pthread_mutex_lock(&st->lock);
    if (!r)
      st->done += count;
    pthread_mutex_unlock(&st->lock);
  }
  pthread_mutex_lock(&st->lock);
  st->local_code = r;
  st->local_over = 1;
  pthread_mutex_unlock(&st->lock);
  return NULL;
}

/* Rank 0's progress line: on a terminal rewritten in place at every
 * percent; otherwise (Open MPI's mpirun passes standard error through a
 * pipe, a batch job writes a log) one line at every tenth of the work. */
static void show_progress(const cli_farm *f, size_t done, int tty, int *shown)
{
  int pct = (int)(100.0 * (double)done / (double)(f->n ? f->n : 1));
  if (!tty)
    pct -= pct % 10;
  if (pct == *shown || (!tty && pct == 0))
    return;
  *shown = pct;
  fprintf(stderr, tty ? "\rsigprop: %s: %3d%%" : "sigprop: %s: %d%%\n", f->what, pct);
  fflush(stderr);
}

/* One request from another rank: store what it sends, answer with its
 * next chunk (count 0: stop).  Returns 1 when that rank is released. */
static int serve(farm_state *st, const MPI_Status *ms, const unsigned long long *head)
{
  const cli_farm *f = st->f;
  int src = ms->MPI_SOURCE;
  if (head[HEAD_KIND] == CLI_MPI_ASK_LEAVE)
    return 1; /* a rank with no part in this work */
  if (head[HEAD_KIND] == CLI_MPI_ASK_FAIL) {
    char text[TEXT_MAX] = "";
    MPI_Recv(text, TEXT_MAX, MPI_CHAR, src, TAG_TEXT, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    text[TEXT_MAX - 1] = '\0';
    cli_mpi_abort((int)head[HEAD_CODE], text);
  }
  if (head[HEAD_KIND] == CLI_MPI_ASK_RESULT) {
    size_t first = (size_t)head[HEAD_FIRST], count = (size_t)head[HEAD_COUNT];
    size_t bytes = count * f->item_bytes;
    void *buf = malloc(bytes ? bytes : 1);
    if (!buf)
      cli_mpi_abort(CLI_FAIL, "MPI: out of memory for the results of another rank");
    MPI_Recv(buf, (int)bytes, MPI_BYTE, src, TAG_DATA, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (first > f->n || count > f->n - first || f->store(f->ctx, first, count, buf))
      cli_mpi_abort(CLI_FAIL, "MPI: results of another rank do not fit this run");
    free(buf);
    pthread_mutex_lock(&st->lock);
    st->done += count;
    pthread_mutex_unlock(&st->lock);
  }
  unsigned long long work[2];
  size_t first, count;
  pthread_mutex_lock(&st->lock);
  take(st, (size_t)head[HEAD_GRAIN], &first, &count);
  pthread_mutex_unlock(&st->lock);
  work[0] = first;
  work[1] = count;
  MPI_Send(work, 2, MPI_UNSIGNED_LONG_LONG, src, TAG_WORK, MPI_COMM_WORLD);
  return count == 0;
}

static int farm_root(const cli_farm *f)
{
  farm_state st = {f, PTHREAD_MUTEX_INITIALIZER, 0, 0, CLI_OK, 0};
  pthread_t tid;
  int progress = f->progress, tty = isatty(STDERR_FILENO), shown = -1;
  int started = pthread_create(&tid, NULL, local_worker, &st) == 0;
  if (!started)
    st.local_over = 1; /* the other ranks do all of it */
  int others = cli_mpi_size() - 1;
  struct timespec ms = {0, 1000000};
  for (;;) {
    pthread_mutex_lock(&st.lock);
    int code = st.local_code, over = st.local_over;
    size_t done = st.done;
    pthread_mutex_unlock(&st.lock);
    if (code)
      cli_mpi_abort(code, cli_error_message());
    if (progress)
      show_progress(f, done, tty, &shown);
    if (!others && over)
      break;
    int flag = 0;
    MPI_Status mst;
    MPI_Iprobe(MPI_ANY_SOURCE, TAG_ASK, MPI_COMM_WORLD, &flag, &mst);
    if (!flag) {
      nanosleep(&ms, NULL);
      continue;
    }
    unsigned long long head[HEAD_N];
    MPI_Recv(head, HEAD_N, MPI_UNSIGNED_LONG_LONG, mst.MPI_SOURCE, TAG_ASK, MPI_COMM_WORLD,
             MPI_STATUS_IGNORE);
    others -= serve(&st, &mst, head);
  }
  if (started)
    pthread_join(tid, NULL);
  pthread_mutex_destroy(&st.lock);
  if (progress && tty)
    fprintf(stderr, "\r%*s\r", 40, "");
  return CLI_OK;
}

static int farm_other(const cli_farm *f)
{
  unsigned long long head[HEAD_N] = {CLI_MPI_ASK_READY, 0, 0, 0, f->grain};
  int r = injected(f, 0);
  if (r)
    return cli_mpi_tell(r);
  for (;;) {
    MPI_Send(head, HEAD_N, MPI_UNSIGNED_LONG_LONG, 0, TAG_ASK, MPI_COMM_WORLD);
    if (head[HEAD_KIND] == CLI_MPI_ASK_RESULT)
      MPI_Send(f->result(f->ctx, (size_t)head[HEAD_FIRST]),
               (int)(head[HEAD_COUNT] * f->item_bytes), MPI_BYTE, 0, TAG_DATA, MPI_COMM_WORLD);
    unsigned long long work[2];
    cli_mpi_wait(0, TAG_WORK);
    MPI_Recv(work, 2, MPI_UNSIGNED_LONG_LONG, 0, TAG_WORK, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (!work[1])
      return CLI_MPI_DONE;
    if ((r = f->compute(f->ctx, (size_t)work[0], (size_t)work[1])))
      return cli_mpi_tell(r); /* rank 0 ends the job */
    head[HEAD_KIND] = CLI_MPI_ASK_RESULT;
    head[HEAD_FIRST] = work[0];
    head[HEAD_COUNT] = work[1];
  }
}

int cli_farm_run(const cli_farm *f)
{
  if (cli_mpi_size() <= 1)
    return f->compute(f->ctx, 0, f->n);
  int r = injected(f, 1);
  if (r)
    return r;
  if (cli_mpi_start())
    return CLI_MPI_DONE; /* rank 0 has ended the run before this work */
  return cli_mpi_is_root() ? farm_root(f) : farm_other(f);
}
